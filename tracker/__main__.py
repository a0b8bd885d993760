"""``python -m tracker``: see tracker.cli."""

import sys

from tracker.cli import main

sys.exit(main())
