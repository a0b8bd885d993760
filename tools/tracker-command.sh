#!/bin/sh
# UPR Tracker's command line, installed by `make` as .venv/bin/tracker: runs `python -m
# tracker` of the project folder that holds this .venv, from any shell and any folder, without
# activating the virtualenv. The app's, the CLI's and the README's hints say
# `.venv/bin/tracker COMMAND` (tracker/hints.py), and this is what makes them work as written.
bin=$(dirname -- "$0")
# The folder the script was called through (not the resolved one: a .venv may be a link).
project=$(CDPATH='' cd -- "$bin/../.." && pwd) || exit 1
# -P: the current folder is not put first on the import path, so that a folder named
# "tracker" where the command is typed cannot replace this project's package.
PYTHONPATH="$project${PYTHONPATH:+:$PYTHONPATH}" exec "$bin/python" -P -m tracker "$@"
