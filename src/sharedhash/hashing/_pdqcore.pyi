"""Type stubs for the compiled PDQ kernels (_pdqcore.c)."""

from typing import Any

ABI_VERSION: int

def sample(
    source: Any,
    width: int,
    height: int,
    pixelsize: int,
    grey: int,
    rstart: Any,
    rlen: Any,
    rweights: Any,
    cstart: Any,
    clen: Any,
    cweights: Any,
    out: Any,
    /,
) -> None: ...
def emulate(source: Any, width: int, height: int, pixelsize: int, grey: int, out: Any, /) -> int: ...
def quality(buf: Any, tol: float, /) -> tuple[int, bool]: ...
