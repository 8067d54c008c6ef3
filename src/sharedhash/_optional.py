"""Import optional heavy dependencies so that a missing one names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from sharedhash.errors import OptionalDependencyError


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise an error telling which ``sharedhash[extra]`` provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"{feature} needs the Python package {module!r}, which is not installed",
            hint=f"pip install 'sharedhash[{extra}]'",
        ) from exc
