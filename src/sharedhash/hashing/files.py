"""Opening files for hashing, with clear errors for paths that cannot be read."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import BinaryIO

from sharedhash.errors import FileAccessError


def open_for_hashing(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading, turning OS errors into :class:`FileAccessError`."""
    try:
        if path.is_dir():
            raise FileAccessError(
                f"{path} is a folder, not a file", hint="Pass files, or a folder to `hash` to walk it."
            )
        # A FIFO or a device would block or never end: only regular files are hashed.
        if not stat.S_ISREG(path.stat().st_mode):
            raise FileAccessError(f"{path} is not a regular file", hint="Hash regular files only.")
        return path.open("rb")
    except FileNotFoundError as exc:
        raise FileAccessError(f"{path} does not exist") from exc
    except PermissionError as exc:
        raise FileAccessError(f"{path} cannot be read: permission denied") from exc
    except OSError as exc:
        raise FileAccessError(f"{path} cannot be read: {exc.strerror or exc}") from exc
