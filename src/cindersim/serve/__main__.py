"""``python -m cindersim.serve``: the same as ``cindersim serve``."""

from __future__ import annotations

import sys

from .command import main

if __name__ == "__main__":
    sys.exit(main())
