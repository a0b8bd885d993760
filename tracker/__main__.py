"""``python -m tracker``: see tracker.cli."""

from tracker.cli import run

run()
