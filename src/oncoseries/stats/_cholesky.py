"""Generalised Cholesky (LDL') routines of R survival: cholesky2, chsolve2, chinv2, coxph_wtest.

They are ported literally (R survival 3.5-3, src/cholesky2.c, chsolve2.c, chinv2.c) because the
handling of singular (collinear) columns must match R: a pivot below ``toler`` times the largest
diagonal marks the column singular, its solution is 0 and its row/column of the inverse is 0.
The loops run over the p x p matrix only (p = number of coefficients), never over patients.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cholesky2", "chsolve2", "chinv2", "wald_test"]


def cholesky2(matrix: np.ndarray, toler: float):
    """LDL' decomposition in place of a copy; returns (decomposition, rank * sign)."""
    m = np.array(matrix, dtype=np.float64, copy=True)
    n = m.shape[0]
    nonneg = 1
    eps = 0.0
    for i in range(n):
        if m[i, i] > eps:
            eps = m[i, i]
        m[i + 1:, i] = m[i, i + 1:]
    eps = toler if eps == 0 else eps * toler
    rank = 0
    for i in range(n):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
        else:
            rank += 1
            for j in range(i + 1, n):
                temp = m[j, i] / pivot
                m[j, i] = temp
                m[j, j] -= temp * temp * pivot
                m[j + 1:, j] -= temp * m[j + 1:, i]
    return m, rank * nonneg


def chsolve2(chol: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve (LDL') b = y given the output of cholesky2 (singular columns give 0)."""
    n = chol.shape[0]
    y = np.array(y, dtype=np.float64, copy=True)
    for i in range(n):
        y[i] -= y[:i] @ chol[i, :i]
    for i in range(n - 1, -1, -1):
        if chol[i, i] == 0:
            y[i] = 0.0
        else:
            y[i] = y[i] / chol[i, i] - y[i + 1:] @ chol[i + 1:, i]
    return y


def chinv2(chol: np.ndarray) -> np.ndarray:
    """Inverse from the output of cholesky2; rows/columns of singular pivots are 0."""
    m = np.array(chol, dtype=np.float64, copy=True)
    n = m.shape[0]
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1.0 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                m[j, :i] += m[j, i] * m[i, :i]
    for i in range(n):
        if m[i, i] == 0:
            m[:i, i] = 0.0
            m[i, i:] = 0.0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                m[i, i:j] += temp * m[j, i:j]
    # the upper triangle now holds the inverse; mirror it
    iu = np.triu_indices(n, 1)
    m[(iu[1], iu[0])] = m[iu]
    return m


def wald_test(var: np.ndarray, b: np.ndarray, toler: float):
    """R's coxph.wtest: b' var^- b with the generalised inverse; returns (statistic, df)."""
    chol, rank = cholesky2(var, toler)
    sol = chsolve2(chol, b)
    return float(np.dot(b, sol)), int(abs(rank))
