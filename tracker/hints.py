"""The command line as the app, the CLI and the README spell it in their hints.

``make run`` and ``make test`` install ``.venv/bin/tracker`` (tools/tracker-command.sh), which
runs ``python -m tracker`` of this project folder from a fresh shell, without activating the
virtualenv: a hint that says ``.venv/bin/tracker sample remove`` works as written in the
project folder (a bare ``python -m tracker`` fails there without the virtualenv's packages).
"""

from __future__ import annotations

CLI_COMMAND = ".venv/bin/tracker"


def cli_command(arguments: str = "") -> str:
    """The command to type in the project folder to run ``arguments``, e.g.
    ``cli_command("sample remove")`` is ``.venv/bin/tracker sample remove``."""
    return f"{CLI_COMMAND} {arguments}".rstrip()


__all__ = ["CLI_COMMAND", "cli_command"]
