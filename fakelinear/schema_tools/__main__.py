"""``python -m fakelinear.schema_tools schema ...`` (same as ``fakelinear schema ...``)."""

import sys

from fakelinear.schema_tools.cli import main

sys.exit(main())
