"""Type stubs for the compiled region-hash kernels (_regioncore.c)."""

from typing import Any

ABI_VERSION: int

def hashes(
    pixels: Any, width: int, height: int, boxes: Any, dct: Any, coef: Any, quality: Any, hashes: Any, /
) -> None: ...
def uniform(
    pixels: Any,
    width: int,
    height: int,
    left: int,
    top: int,
    right: int,
    bottom: int,
    columns: bool,
    tolerance: float,
    share: float,
    out: Any,
    /,
) -> None: ...
def turn(
    pixels: Any,
    width: int,
    height: int,
    matrix: tuple[float, float, float, float, float, float],
    left: int,
    top: int,
    right: int,
    bottom: int,
    out: Any,
    /,
) -> None: ...
