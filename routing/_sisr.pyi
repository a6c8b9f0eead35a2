"""Compiled SISR inner loop (routing/_sisr.c); built by the package install."""

import numpy as np
import numpy.typing as npt

def sisr(
    blob: npt.NDArray[np.int64],
    penalty: npt.NDArray[np.float64],
    routes: npt.NDArray[np.int64],
    keys: npt.NDArray[np.float64],
    params: npt.NDArray[np.float64],
    /,
) -> int: ...
def insertion(
    blob: npt.NDArray[np.int64], seq: npt.NDArray[np.int64], k: int, u: int, /
) -> tuple[int, int]: ...
