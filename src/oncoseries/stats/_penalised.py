"""Maximising a penalised likelihood and its profile limits: the loop shared by Firth's Cox regression
(stats/firth.py, as R coxphf) and Firth's logistic regression (stats/logistic.py, as R logistf).

- ``damped_newton``: Newton-Raphson on the free coefficients with the information as curvature, each
  step capped at ``max_step`` in its largest coordinate (coxphf/logistf ``maxstep``) and halved while the
  penalised log likelihood falls (``maxhs`` halvings); converged when the largest free score is below
  ``gtol``.
- ``profile_limit``: a profile penalised-likelihood confidence limit (Heinze & Schemper 2001, 2002): the
  bracket doubles outward from the estimate until 2 (pl_hat - pl_j(v)) exceeds the chi-square critical
  value, then Brent's root (stats/_brent.py, scipy's brentq step for step). The gap is capped (it grows
  monotonically away from the estimate), which keeps the root finder finite with the same root.
"""

from __future__ import annotations

import numpy as np

from . import _linalg
from ._brent import brent_root

GAP_CAP = 1e8


def damped_newton(full, b, free, *, max_iter: int, gtol: float, max_step: float, halvings: int,
                  accept_rtol: float, done_tol: float, curvature=None, stop_when_still: bool = False):
    """Maximise pl over the coefficients ``free`` from ``b``.

    ``full(b) -> (pl, score, information)`` with pl = -inf where the information is not positive
    definite; ``curvature(b, free, g, hess)`` may replace the free block of the information (e.g. by a
    finite-difference Jacobian near the optimum). A trial step is accepted when pl does not fall by
    more than ``accept_rtol`` relative. ``stop_when_still`` ends when a step no longer moves b.
    Returns ``(b, pl, iterations, converged)``; converged means the largest free score is below
    ``done_tol`` when the iterations stop without meeting ``gtol``.
    """
    b = np.array(b, dtype=float)
    free = np.asarray(free, dtype=int)
    pl, u, info = full(b)
    if not np.isfinite(pl):
        raise ValueError("the information matrix is singular at the starting values")
    it = 0
    for it in range(1, max_iter + 1):
        g = u[free]
        if g.size == 0 or np.abs(g).max() < gtol:      # = np.max(np.abs(g), initial=0.0) < gtol
            return b, pl, it - 1, True
        hess = info[free][:, free]       # = info[np.ix_(free, free)], a quarter of the time for a 2x2
        if curvature is not None:
            hess = curvature(b, free, g, hess)
        step = _linalg.solve(hess, g)    # = np.linalg.solve (a singular hess raises LinAlgError)
        big = np.abs(step).max()
        if big > max_step:
            step *= max_step / big
        for _ in range(halvings):
            trial = b.copy()
            trial[free] += step
            pl_t, u_t, i_t = full(trial)
            if pl_t >= pl - accept_rtol * max(1.0, abs(pl)):
                break
            step = step / 2
        if not np.isfinite(pl_t):
            break
        still = stop_when_still and np.abs(trial - b).max() < 1e-15   # = np.max(...), without its dispatch
        b, pl, u, info = trial, pl_t, u_t, i_t
        if still:
            break
    return b, pl, it, bool(np.max(np.abs(u[free]), initial=0.0) < done_tol)


def profile_limit(pl_at, estimate: float, pl_hat: float, se: float, crit: float, side: int, *,
                  rtol: float, before_root=None) -> float:
    """The profile limit on one side (+1 upper, -1 lower) of a coefficient whose estimate is
    ``estimate``: ``pl_at(v)`` is the penalised log likelihood maximised with the coefficient fixed at
    v. ``before_root()`` is called once the bracket is found (e.g. to reset warm starts)."""
    def gap(v):
        return min(2.0 * (pl_hat - pl_at(v)) - crit, GAP_CAP)

    width = 2.0 * se if np.isfinite(se) and se > 0 else 1.0
    inner = estimate
    for _ in range(40):
        outer = estimate + side * width
        if gap(outer) > 0:
            lo, hi = sorted((inner, outer))
            if before_root is not None:
                before_root()
            return brent_root(gap, lo, hi, xtol=1e-12, rtol=rtol)
        inner = outer
        width *= 2.0
    return side * np.inf
