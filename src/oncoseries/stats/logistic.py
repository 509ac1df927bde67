"""Logistic regression for response: maximum likelihood (as R ``glm(family = binomial)``) and
Firth-penalised (as R ``logistf``).

- ``logistic_ml(X, y)``: the ML fit by IRLS (as statsmodels' GLM, without importing it); Wald SE, z, P and Wald CI
  ``exp(b +- z_{1-a/2} se)`` (R ``summary(glm)`` and ``confint.default``).
- ``logistic_firth(X, y)``: Firth (1993, Biometrika 80:27) bias-reduced logistic regression, Heinze &
  Schemper (2002, Stat Med 21:2409): maximises ``pl(b) = l(b) + 0.5 log det(X'WX)``; its gradient is
  the modified score ``X'(y - pi + h (0.5 - pi))`` (h: diagonal of the hat matrix). The estimate is
  finite under separation. CIs are profile penalised-likelihood limits
  (``2 (pl(b_hat) - max pl | b_j = v) = chi2_1(conf_level)``) and P values the penalised LR test of
  ``b_j = 0`` (logistf's defaults). The SE ``sqrt(diag((X'WX)^-1))`` is given for reference only.

Both take an (n, p) design with the intercept as a column (``design`` builds one for one marker).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _linalg
from ._dist import chi2_ppf, chi2_sf, norm_ppf, norm_sf
from ._penalised import damped_newton, profile_limit

__all__ = ["LogisticFit", "logistic_ml", "logistic_firth", "separated"]



@dataclass
class LogisticFit:
    """One fit: per coefficient (order of the design's columns) the log odds ratio ``coef``, ``se``,
    odds ratio ``odds_ratio`` with ``lower``/``upper`` and ``p``; ``method`` is "ML (Wald)" or
    "Firth (profile penalised likelihood)"; ``loglik`` is the (penalised, for Firth) log-likelihood."""

    columns: list
    coef: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p: np.ndarray
    loglik: float
    method: str
    n: int
    events: int
    iterations: int
    converged: bool

    @property
    def odds_ratio(self) -> np.ndarray:
        return np.exp(self.coef)

    def row(self, name: str) -> dict:
        j = self.columns.index(name)
        return {"coef": float(self.coef[j]), "se": float(self.se[j]), "odds_ratio": float(np.exp(self.coef[j])),
                "lower": float(self.lower[j]), "upper": float(self.upper[j]), "p": float(self.p[j])}


def _arrays(X, y):
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y, dtype=float).ravel()
    if X.shape[0] != y.size:
        raise ValueError("X and y must have the same number of rows")
    if not np.all(np.isin(y, (0.0, 1.0))):
        raise ValueError("y must be 0/1 or boolean")
    if not np.all(np.isfinite(X)):
        raise ValueError("X has missing or infinite values; drop them first")
    return X, y


def separated(x, y) -> bool:
    """Complete or quasi-complete separation for ONE covariate column ``x`` (0/1 dummy or numeric):
    all responders on one side of all non-responders (ties at the border included), or, for a dummy, a
    level with no responders or no non-responders. Exact for a univariable model."""
    x, y = np.asarray(x, float), np.asarray(y, bool)
    if y.all() or not y.any():
        return True
    a, b = x[y], x[~y]
    return bool(a.max() <= b.min() or b.max() <= a.min())


_EPS = float(np.finfo(float).eps)
#: From this many rows each IRLS step solves the weighted normal equations (Cholesky of the p x p X'WX)
#: instead of statsmodels' ``lstsq`` (an SVD of the n x p working matrix): about 5x less per step for a
#: registry's 10^6 rows, equal to the ``lstsq`` path to about 1e-12 relative for a well-conditioned design
#: (tests/stats/test_logistic_irls.py); an ill-conditioned X'WX (condition number above 1e10) keeps ``lstsq``.
#: Below it, the numbers stay statsmodels' to the last bit.
NORMAL_EQUATIONS_MIN_N = 20_000


def _normal_step(X: np.ndarray, weights: np.ndarray, z: np.ndarray):
    """Weighted least squares by the normal equations: (coef, (X'WX)^-1), or None when X'WX is not
    well conditioned (then the caller keeps the SVD path)."""
    xw = X * weights[:, None]
    a = xw.T @ X
    if not np.all(np.isfinite(a)) or np.linalg.cond(a) > 1e10:
        return None
    try:
        c = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return None
    inv_c = np.linalg.inv(c)
    a_inv = inv_c.T @ inv_c
    return a_inv @ (xw.T @ z), a_inv


def _irls(X: np.ndarray, y: np.ndarray, tol: float = 1e-12, maxiter: int = 100):
    """Binomial GLM with logit link by IRLS, step for step as statsmodels' ``GLM.fit`` (default IRLS):
    start at mu = (y + 1/2) / 2; each step a weighted least-squares solve (``lstsq``) of the working
    response; stop when the deviance changes by at most ``tol``; the estimate and its covariance are
    those of the last working problem solved by the pseudo-inverse. The same floating-point operations
    in the same order, so the numbers are statsmodels' to the last bit (tests/stats/test_logistic_irls.py)
    without importing it (about 1.5 s); from NORMAL_EQUATIONS_MIN_N rows the steps solve the normal
    equations instead (equal to rounding). Returns (coef, cov, loglik, iterations, converged)."""
    def clean(p):
        return np.clip(p, _EPS, 1.0 - _EPS)

    def deviance(mu):
        a = np.clip(y / (mu + 1e-20), _EPS, np.inf)
        b = np.clip((1.0 - y) / (1.0 - mu + 1e-20), _EPS, np.inf)
        return np.sum(2 * 1 * (y * np.log(a) + (1 - y) * np.log(b)) * 1.0 * 1.0 / 1.0)

    fast = X.shape[0] >= NORMAL_EQUATIONS_MIN_N
    mu = (y + 0.5) / 2
    p = clean(mu)
    lin_pred = np.log(p / (1.0 - p))
    dev_old = deviance(mu)
    converged, iteration = False, 0
    for iteration in range(maxiter):
        p = clean(mu)
        deriv = 1.0 / (p * (1 - p))
        v = clean(mu / 1)
        weights = 1.0 / (deriv ** 2 * (v * (1 - v) * 1))
        wlsendog = lin_pred + deriv * (y - mu)
        w_half = np.sqrt(weights)
        if not (np.all(np.isfinite(w_half)) and np.all(np.isfinite(wlsendog))):
            raise ValueError("NaN, inf or invalid value detected in the logistic working weights")
        step = _normal_step(X, weights, wlsendog) if fast else None
        if step is None:
            fast = False
            params = np.linalg.lstsq(w_half[:, None] * X, w_half * wlsendog, rcond=-1)[0]
        else:
            params, a_inv = step
        lin_pred = np.dot(X, params)
        mu = 1.0 / (1.0 + np.exp(-lin_pred))
        dev_new = deviance(mu)
        converged = bool(abs(dev_old - dev_new) <= tol)       # np.allclose(atol=tol, rtol=0)
        dev_old = dev_new
        if converged:
            break
    if fast:     # every step by the normal equations: the estimate and covariance of the last one
        coef, cov = params, a_inv
    else:
        sw = np.sqrt(weights)
        u, s, vt = np.linalg.svd(sw[:, None] * X, False)            # statsmodels' pinv_extended
        cutoff = 1e-15 * np.maximum.reduce(s)
        s = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
        pinv = np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u)))
        coef = np.dot(pinv, wlsendog * sw)
        cov = np.dot(pinv, np.transpose(pinv))
    m = 1.0 / (1.0 + np.exp(-np.dot(X, coef)))
    ll = float(np.sum(y * np.log((m + 1e-20) / (1 - m + 1e-20)) + 1 * np.log(1 - m + 1e-20)))  # Binomial, n = 1
    return coef, cov, ll, iteration + 1, converged


def logistic_ml(X, y, columns=None, conf_level: float = 0.95) -> LogisticFit:
    """ML logistic regression, as R ``glm(y ~ ., family = binomial)`` with Wald CIs (``confint.default``)."""
    X, y = _arrays(X, y)
    columns = list(columns) if columns is not None else [f"x{i}" for i in range(X.shape[1])]
    coef, cov, llf, iterations, converged = _irls(X, y)
    se = np.sqrt(np.diag(cov * 1.0))
    z = norm_ppf(0.5 + conf_level / 2.0)
    p = 2.0 * norm_sf(np.abs(coef / se))
    return LogisticFit(columns, coef, se, np.exp(coef - z * se), np.exp(coef + z * se), np.asarray(p, float),
                       llf, "ML (Wald)", int(y.size), int(y.sum()), iterations, converged)


class _Penalised:
    """pl(b), the modified score U*(b) and the information X'WX for one data set.

    ``full`` remembers its results by the bytes of b: the profile limits ask for the same b again (the
    estimate when a root search starts, a Newton step too small to move b), a tenth of the ~2,400 evaluations
    of the bundled study's Firth fits; the same b gives the same doubles, so the remembered ones are returned
    (their arrays read-only, as they are shared)."""

    def __init__(self, X, y):
        self.X, self.y = X, y
        self._seen: dict[bytes, tuple] = {}

    def full(self, b):
        key = b.tobytes()
        got = self._seen.get(key)
        if got is None:
            got = self._seen[key] = self._full(b)
            for a in got[1:]:
                if a is not None:
                    a.flags.writeable = False
        return got

    def _full(self, b):
        eta = self.X @ b
        pi = 0.5 * (1.0 + np.tanh(0.5 * eta))               # expit without overflow
        w = pi * (1.0 - pi)
        xw = self.X * w[:, None]                             # W X, made once
        info = xw.T @ self.X
        sign, logdet = _linalg.slogdet(info)             # = np.linalg.slogdet, without its wrapper
        if sign <= 0 or not np.isfinite(logdet):
            return -np.inf, None, info
        ll = float((self.y * eta - np.logaddexp(0.0, eta)).sum())   # = np.sum(...), without its dispatch
        xi = _linalg.solve(info, xw.T).T                    # rows: W^(1/2)... h_i = w_i x_i' I^-1 x_i
        h = np.einsum("ij,ij->i", xi, self.X)
        score = self.X.T @ (self.y - pi + h * (0.5 - pi))
        return ll + 0.5 * logdet, score, info

    def maximise(self, b, free, max_iter=200, gtol=1e-11, max_step=5.0):
        """Newton-Raphson on the free coefficients (curvature X'WX), steps capped at ``max_step`` and
        halved while pl falls (logistf's ``maxstep``/``maxhs``). Returns (b, pl, iterations, converged)."""
        return damped_newton(self.full, b, free, max_iter=max_iter, gtol=gtol, max_step=max_step, halvings=40,
                             accept_rtol=1e-13, done_tol=1e-7, stop_when_still=True)


def _constrained(pen, b_hat, j, v):
    b = b_hat.copy()
    b[j] = v
    free = np.delete(np.arange(b.size), j)      # = np.setdiff1d(arange, [j]) (sorted), without its sort
    try:
        if free.size:
            return pen.maximise(b, free)[:2]
        return b, pen.full(b)[0]
    except (ValueError, np.linalg.LinAlgError):
        return b, -np.inf


def _profile_limit(pen, b_hat, pl_hat, j, se_j, crit, side):
    """The profile limit of coefficient j on one side (+1 upper, -1 lower); each constrained fit starts
    from the previous one's coefficients (reset to the estimate for the root), as stats/firth.py."""
    start = {"b": b_hat}

    def pl_at(v):
        b, pl_v = _constrained(pen, start["b"], j, v)
        if np.isfinite(pl_v):
            start["b"] = b
        return pl_v

    def reset():
        start["b"] = b_hat

    return profile_limit(pl_at, b_hat[j], pl_hat, se_j, crit, side, rtol=1e-13, before_root=reset)


def logistic_firth(X, y, columns=None, conf_level: float = 0.95) -> LogisticFit:
    """Firth-penalised logistic regression with profile penalised-likelihood CIs and penalised LR
    P values, as R ``logistf(y ~ ., data)`` (defaults ``pl = TRUE``, ``alpha = 0.05``)."""
    X, y = _arrays(X, y)
    n, k = X.shape
    columns = list(columns) if columns is not None else [f"x{i}" for i in range(k)]
    pen = _Penalised(X, y)
    b, pl, it, ok = pen.maximise(np.zeros(k), np.arange(k))
    _, _, info = pen.full(b)
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    crit = float(chi2_ppf(conf_level, 1))
    lower, upper, p = np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):      # loop over coefficients (k is 1-7), not rows
        lower[j] = _profile_limit(pen, b, pl, j, se[j], crit, -1)
        upper[j] = _profile_limit(pen, b, pl, j, se[j], crit, +1)
        stat = max(2.0 * (pl - _constrained(pen, b, j, 0.0)[1]), 0.0)
        p[j] = float(chi2_sf(stat, 1))
    return LogisticFit(columns, b, se, np.exp(lower), np.exp(upper), p, float(pl),
                       "Firth (profile penalised likelihood)", n, int(y.sum()), it, ok)
