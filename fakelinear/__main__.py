"""``python -m fakelinear``: the same as the ``fakelinear`` command."""

from __future__ import annotations

import sys

from fakelinear.cli import main

if __name__ == "__main__":
    sys.exit(main())
