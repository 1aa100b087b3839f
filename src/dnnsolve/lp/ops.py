"""Sparse matrix–vector products on the solver's device.

On CUDA the matrices are torch sparse CSR tensors. On the CPU, torch's CSR kernel is several
times slower than SciPy's for the small matrix–vector products that dominate PDHG, so the
``"auto"`` backend multiplies with SciPy on zero-copy NumPy views of the same torch vectors;
``backend="torch"`` forces torch CSR everywhere (the GPU code path, testable on a CPU).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch

__all__ = ["SparseOp"]


class SparseOp:
    """``y = M @ x`` for a fixed sparse ``M`` (and its transpose through :meth:`T`).

    >>> import scipy.sparse as sp
    >>> op = SparseOp(sp.csr_matrix([[1.0, 2.0]]), torch.device("cpu"))
    >>> op.mv(torch.tensor([1.0, 1.0], dtype=torch.float64)).tolist()
    [3.0]
    >>> op.T.mv(torch.tensor([2.0], dtype=torch.float64)).tolist()
    [2.0, 4.0]
    """

    def __init__(
        self,
        M: sp.spmatrix,
        device: torch.device,
        dtype: torch.dtype = torch.float64,
        backend: str = "auto",
        _transpose: SparseOp | None = None,
    ):
        self.shape = M.shape
        self.device = device
        self.dtype = dtype
        self.use_scipy = backend == "scipy" or (
            backend == "auto" and device.type == "cpu" and dtype == torch.float64
        )
        M = sp.csr_matrix(M, dtype=np.float64)
        self._backend = backend
        self._M = M
        if self.use_scipy:
            self._t = None
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._t = torch.sparse_csr_tensor(
                    torch.from_numpy(M.indptr.astype(np.int64)),
                    torch.from_numpy(M.indices.astype(np.int64)),
                    torch.from_numpy(M.data),
                    size=M.shape,
                ).to(device=device, dtype=dtype)
        self._T = _transpose

    @property
    def T(self) -> SparseOp:
        if self._T is None:
            self._T = SparseOp(
                self._M.T.tocsr(), self.device, self.dtype, self._backend, _transpose=self
            )
        return self._T

    def mv(self, x: torch.Tensor) -> torch.Tensor:
        if self.shape[0] == 0 or self.shape[1] == 0:
            return torch.zeros(self.shape[0], dtype=self.dtype, device=self.device)
        if self.use_scipy:
            return torch.from_numpy(self._M @ x.detach().numpy())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.mv(self._t, x)
