"""Data of the "Learning Without Loss" experiments: LEDM matrices, majority circuits, digits.

- :func:`ledm`: the linear Euclidean distance matrix M[i, j] = (i - j)^2, scaled by
  1/(m-1)^2 so that its entries lie in [0, 1] (the scale only trades against Omega; the paper's
  nonnegative ranks r+ of LEDM m = 6, 8, 12, 16 are 5, 6, 7, 8: :data:`LEDM_RANKS`).
- :func:`majority_circuit_data`: Boolean data labelled by a random depth-n tree of 3-input
  majority gates over 13 inputs; all 2^13 inputs split into 4096 train / 4096 test as in the
  paper (§5.5.1). Our own generator, not the paper's data files.
- :func:`digits_data`: the 8x8 digits shipped with scikit-learn (1797 items, 64 pixels / 16).
- :func:`load_matrix`: a matrix file (``.npy``, or text with whitespace / comma separators).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.errors import InputError

#: nonnegative rank of LEDM(m) used in the paper's Table 1
LEDM_RANKS = {6: 5, 8: 6, 12: 7, 16: 8}


def ledm(m: int, normalize: bool = True) -> np.ndarray:
    """Linear Euclidean distance matrix of size m (entries ((i - j)/(m - 1))^2 by default).

    >>> ledm(3).tolist()
    [[0.0, 0.25, 1.0], [0.25, 0.0, 0.25], [1.0, 0.25, 0.0]]
    """
    if int(m) < 2:
        raise InputError(f"LEDM size must be >= 2, got {m}")
    i = np.arange(int(m), dtype=np.float64)
    d = (i[:, None] - i[None, :]) ** 2
    return d / (m - 1) ** 2 if normalize else d


def random_majority_circuit(depth: int, n_inputs: int, rng: np.random.Generator) -> np.ndarray:
    """Leaf input indices (3^depth) of a random tree of 3-input majority gates.

    Each gate's three leaves are distinct inputs; the tree is read in breadth-first order.

    >>> random_majority_circuit(1, 13, np.random.default_rng(0)).shape
    (3,)
    """
    leaves = [rng.choice(n_inputs, size=3, replace=False) for _ in range(3 ** (depth - 1))]
    return np.concatenate(leaves)


def eval_majority_circuit(leaves: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Output of the majority tree with leaf inputs ``leaves`` on rows of ``bits`` (0/1).

    >>> eval_majority_circuit(np.array([0, 1, 2]), np.array([[1, 1, 0], [0, 0, 1]])).tolist()
    [1, 0]
    """
    v = bits[:, leaves].astype(np.int64)
    while v.shape[1] > 1:
        v = (v.reshape(v.shape[0], -1, 3).sum(-1) >= 2).astype(np.int64)
    return v[:, 0]


def majority_circuit_data(
    depth: int = 3, n_inputs: int = 13, n_train: int = 4096, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) of a random depth-``depth`` majority circuit.

    All 2^n_inputs inputs are labelled, shuffled and split (the rest is the test set).

    >>> xtr, ytr, xte, yte = majority_circuit_data(1, 4, 8, seed=0)
    >>> xtr.shape, xte.shape, set(ytr.tolist()) <= {0, 1}
    ((8, 4), (8, 4), True)
    """
    if not 1 <= depth <= 6:
        raise InputError(f"majority circuit depth must be in 1..6, got {depth}")
    if not 3 <= n_inputs <= 20:
        raise InputError(f"majority circuit inputs must be in 3..20, got {n_inputs}")
    total = 2**n_inputs
    if not 1 <= n_train < total:
        raise InputError(f"n_train must be in 1..{total - 1}, got {n_train}")
    rng = np.random.default_rng(seed)
    leaves = random_majority_circuit(depth, n_inputs, rng)
    bits = ((np.arange(total)[:, None] >> np.arange(n_inputs)[None, :]) & 1).astype(np.float64)
    labels = eval_majority_circuit(leaves, bits)
    perm = rng.permutation(total)
    tr, te = perm[:n_train], perm[n_train:]
    return bits[tr], labels[tr], bits[te], labels[te]


def digits_data(
    n_train: int = 1000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The scikit-learn 8x8 digits (pixels / 16), shuffled and split at ``n_train``.

    Needs scikit-learn (a bench/dev dependency); raises InputError without it.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("the digits data needs scikit-learn (pip install scikit-learn)") from exc
    d = load_digits()
    x = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    if not 1 <= n_train < len(y):
        raise InputError(f"n_train must be in 1..{len(y) - 1}, got {n_train}")
    perm = np.random.default_rng(seed).permutation(len(y))
    return x[perm[:n_train]], y[perm[:n_train]], x[perm[n_train:]], y[perm[n_train:]]


def load_matrix(path: str | Path) -> np.ndarray:
    """A 2-D float matrix from ``.npy`` or text (rows of whitespace / comma separated numbers,
    ``#`` comment lines skipped).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("matrix file not found", path=str(path))
    try:
        if path.suffix == ".npy":
            m = np.load(path, allow_pickle=False)
        else:
            text = path.read_text().replace(",", " ")
            m = np.array(
                [
                    [float(v) for v in line.split()]
                    for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")
                ]
            )
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot read a matrix: {exc}", path=str(path)) from None
    if m.ndim != 2:
        raise InputError("the matrix must be 2-D with rows of equal length", path=str(path))
    return m.astype(np.float64)
