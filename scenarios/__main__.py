"""``python -m scenarios``: see :mod:`scenarios.cli`."""

from scenarios.cli import main

raise SystemExit(main())
