"""The random numbers of the compiled kernels: a xorshift64* stream held in a one-element
uint64 array, so that each kernel call carries its own generator (no global state) and a seed
gives the same walk on every machine (imported on first use: numba)."""

import numba
import numpy as np

_MULT = np.uint64(0x2545F4914F6CDD1D)


@numba.njit(cache=True, nogil=True)
def uniform(state):
    """Advance the stream ``state``; a float in [0, 1)."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return float((x * _MULT) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
