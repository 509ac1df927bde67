"""Monotone likelihood (separation) in the Cox model: which coefficients diverge to +/- infinity.

Two checks, both reported by :func:`detect_separation`:

1. Risk-set rule (exact, per column): if at every death the dying subject's value is the largest
   (or at every death the smallest) in its risk set, and at some death it differs from someone at
   risk, the partial likelihood is monotone in that coefficient whatever the other coefficients are
   (Heinze & Schemper 2001). For a binary covariate this is "all events in one level".
2. Newton rule (R ``coxph``): the ordinary (unpenalised) Newton-Raphson fit is run until the
   log-likelihood converges (relative change <= 1e-9, at most 20 iterations, as
   ``coxph.control``); a coefficient whose next Newton step is still larger than
   ``sqrt(1e-9) * |coef|`` is flagged, as R's "Loglik converged before variable j; coefficient may
   be infinite" warning. This catches separation by a combination of columns.
"""

from __future__ import annotations

import numpy as np

from ._risksets import RiskSets, cox_derivatives

__all__ = ["detect_separation"]


def _risk_set_extreme(rs: RiskSets, X: np.ndarray) -> np.ndarray:
    """Per column: +1 if every death has the risk-set maximum, -1 the minimum, else 0."""
    p = X.shape[1]
    all_max = np.ones(p, bool)
    all_min = np.ones(p, bool)
    varies = np.zeros(p, bool)
    for s in rs.strata:  # loop over strata only
        if s.ev.size == 0:
            continue
        x = X[s.rows]
        rmax = np.maximum.accumulate(x[::-1], axis=0)[::-1][s.ev_start]
        rmin = np.minimum.accumulate(x[::-1], axis=0)[::-1][s.ev_start]
        xe = x[s.ev]
        all_max &= np.all(xe >= rmax, axis=0)
        all_min &= np.all(xe <= rmin, axis=0)
        varies |= np.any(rmax > rmin, axis=0)
    return np.where(varies & all_max, 1, np.where(varies & all_min, -1, 0))


def _newton_infinite(rs: RiskSets, X: np.ndarray, eps: float = 1e-9, iter_max: int = 20) -> np.ndarray:
    """R coxph.fit's infinite-coefficient flag after an ordinary Newton-Raphson fit."""
    p = X.shape[1]
    beta = np.zeros(p)
    loglik, score, info, _ = cox_derivatives(rs, X, beta)
    for _ in range(iter_max):
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return np.zeros(p, bool)
        new = beta + step
        ll_new, sc_new, in_new, _ = cox_derivatives(rs, X, new)
        halvings = 0
        while not np.isfinite(ll_new) or ll_new < loglik - 1e-12 * abs(loglik):
            if halvings == 30:
                break
            new = (beta + new) / 2
            ll_new, sc_new, in_new, _ = cox_derivatives(rs, X, new)
            halvings += 1
        converged = abs(1 - loglik / ll_new) <= eps if ll_new != 0 else True
        beta, loglik, score, info = new, ll_new, sc_new, in_new
        if converged:
            break
    try:
        nxt = np.abs(np.linalg.solve(info, score))
    except np.linalg.LinAlgError:
        return np.zeros(p, bool)
    return (nxt > eps) & (nxt > np.sqrt(eps) * np.abs(beta))


def detect_separation(time, event, X, columns, strata=None, ties: str = "efron") -> list:
    """Names of coefficients with monotone likelihood (the ordinary Cox estimate is infinite).

    Parameters
    ----------
    time, event : arrays of length n (event 0/1 or bool).
    X : (n, p) design matrix; columns : its p names.
    strata : int codes or None.
    ties : ties method of the ordinary fit used by the Newton rule (default ``"efron"``, as R).

    Returns
    -------
    list of column names, in design order (empty if none). Use :func:`firth_cox` for such data.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    columns = list(columns)
    if len(columns) != X.shape[1]:
        raise ValueError(f"columns has {len(columns)} names but X has {X.shape[1]} columns")
    event = np.asarray(event).astype(bool)
    if event.sum() == 0:
        return []
    rs = RiskSets(np.asarray(time, dtype=float), event, strata, ties)
    flag = _risk_set_extreme(rs, X) != 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        flag |= _newton_infinite(rs, X)
    return [c for c, f in zip(columns, flag) if f]
