"""Settings read without pydantic, for start-up-critical paths such as ``sharedhash hash`` of one file.

Importing the settings class costs ~90 ms (pydantic-settings), more than hashing a small image. :func:`setting`
returns a field's declared default while no ``SHAREDHASH_<FIELD>`` variable is set, and otherwise asks the
settings class, so values, validation and errors stay those of :class:`sharedhash.settings.Settings`.
"""

from __future__ import annotations

import os
from typing import Any

from sharedhash import limits

#: The defaults of the fields readable here (from :mod:`sharedhash.limits`, as the settings class takes them).
DEFAULTS: dict[str, Any] = {
    "max_image_pixels": limits.MAX_IMAGE_PIXELS_DEFAULT,
    "max_file_bytes": limits.MAX_FILE_BYTES_DEFAULT,
}

_PREFIX = "SHAREDHASH_"


def setting(name: str) -> Any:
    """The value of setting ``name`` (one of :data:`DEFAULTS`), as ``get_settings()`` would return it."""
    if name not in DEFAULTS:
        raise KeyError(f"{name!r} is not a quick setting; use sharedhash.settings.get_settings()")
    wanted = (_PREFIX + name).upper()
    if any(key.upper() == wanted for key in os.environ):  # pydantic-settings matches names case-insensitively
        from sharedhash.settings import get_settings

        return getattr(get_settings(), name)
    return DEFAULTS[name]
