"""Files that hold data are readable by their owner only.

The database, its write-ahead log, backups, rejects files and the signing-key file hold
recommendations, accounts (password hashes) or the secret that signs logins. The entry points
(the command line, the app) call :func:`private_umask` first, so that every file the process
creates is 0600 and every folder 0700; the writers of those files also create them with
:func:`create_private`, so that a library caller with a looser umask gets the same.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_MODE = 0o600


def private_umask() -> int:
    """Make every file this process creates from now on private (0600; folders 0700);
    returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def create_private(path: str | Path, *, exclusive: bool = False) -> int:
    """Open ``path`` for writing, created with mode 0600 (truncated if it exists; with
    ``exclusive``, an existing file raises FileExistsError); returns the descriptor.

    An existing file's mode is set to 0600 too: a leftover partial file is rewritten."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def touch_private(path: str | Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (a SQLite database before its
    first connection: SQLite gives its -wal and -shm files the database file's mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))


def write_private(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600), replacing it atomically: readers see the old file
    or the new one, never a part."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    fd = create_private(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
