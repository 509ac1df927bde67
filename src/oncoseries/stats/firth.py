"""Firth-penalised Cox regression (Heinze & Schemper 2001, Stat Med 21:2409; R coxphf; SAS PHREG FIRTH).

The penalised partial log-likelihood is ``pl(b) = l(b) + 0.5 log det I(b)``; its score is Firth's
modified score ``U*(b)_r = U(b)_r + 0.5 tr(I(b)^-1 dI(b)/db_r)``. The estimate is finite even under
monotone likelihood (separation: e.g. all events in one group). Ties are Breslow by default (coxphf
and SAS PHREG FIRTH); Efron is available. Confidence limits are profile penalised-likelihood limits
(``2 (pl(b_hat) - max pl | b_j = v) = chi2_1(conf_level)``) and p-values the penalised LR test of
``b_j = 0``, as coxphf. The standard error is ``sqrt(diag(I(b_hat)^-1))`` (coxphf), shown for
reference only: the CI and p are not Wald. See docs/statistics-ph-firth.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _linalg
from ._dist import chi2_ppf, chi2_sf
from ._penalised import damped_newton, profile_limit
from ._risksets import RiskSets, cox_derivatives
from .separation import detect_separation

__all__ = ["FirthCox", "LRTest", "detect_separation", "firth_cox", "firth_cox_arrays"]

METHOD = "Firth profile likelihood"


@dataclass(frozen=True)
class LRTest:
    """A likelihood-ratio test: ``statistic`` (chi-square), ``df`` and ``p_value`` (unrounded)."""

    statistic: float
    df: int
    p_value: float


@dataclass
class FirthCox:
    """Result of :func:`firth_cox_arrays` / :func:`firth_cox`.

    ``summary`` is indexed by coefficient name with columns ``coef, se, hr, lower, upper, chisq, p,
    method`` (``lower``/``upper`` bound the hazard ratio). ``lr_test`` is the penalised LR test of
    all coefficients = 0 (``2 (pl(b_hat) - pl(0))`` on p df, as coxphf). ``loglik`` holds the
    penalised log-likelihood at 0 and at ``b_hat`` (coxphf's ``loglik``).
    """

    coef: np.ndarray
    var: np.ndarray
    columns: list
    summary: pd.DataFrame
    lr_test: LRTest
    loglik: tuple
    n: int
    n_events: int
    ties: str
    conf_level: float
    iterations: int
    separation: list = field(default_factory=list)


class _Penalised:
    """pl(b) = l(b) + 0.5 log det I(b), Firth's modified score and I(b) for one data set."""

    def __init__(self, rs: RiskSets, X: np.ndarray):
        self.rs, self.X = rs, X

    def __call__(self, beta):
        loglik, _, info, _ = cox_derivatives(self.rs, self.X, beta)
        sign, logdet = _linalg.slogdet(info)
        return loglik + 0.5 * logdet if sign > 0 else -np.inf

    def full(self, beta):
        """(pl, U*, I); pl = -inf and U* = None where I is not positive definite."""
        try:
            loglik, score, info, corr = cox_derivatives(self.rs, self.X, beta, third=True)
        except np.linalg.LinAlgError:
            return -np.inf, None, None
        sign, logdet = _linalg.slogdet(info)
        if sign <= 0 or not np.all(np.isfinite(corr)):
            return -np.inf, None, info
        return loglik + 0.5 * logdet, score + 0.5 * corr, info

    def maximise(self, beta, free, max_iter=200, gtol=1e-10, max_step=0.5):
        """Newton-Raphson on the free coefficients with I(b) as curvature (coxphf), halving steps
        that lower pl and capping each step at ``max_step`` (coxphf's ``maxstep``); near the
        optimum the step uses the finite-difference Jacobian of U* for quadratic convergence.
        Returns ``(beta, pl, iterations, converged)``."""
        def curvature(b, free_, g, hess):
            return self._jacobian(b, free_, hess) if np.max(np.abs(g)) < 1e-3 else hess

        return damped_newton(self.full, beta, free, max_iter=max_iter, gtol=gtol, max_step=max_step,
                             halvings=30, accept_rtol=1e-12, done_tol=1e-6, curvature=curvature)

    def _jacobian(self, beta, free, fallback):
        """-dU*/db on the free coefficients by central differences (symmetrised); ``fallback``
        (the information) if that is not positive definite."""
        k = free.size
        jac = np.empty((k, k))
        for a, j in enumerate(free):  # loop over coefficients (p is small), not rows
            h = 1e-5 * max(1.0, abs(beta[j]))
            bp, bm = beta.copy(), beta.copy()
            bp[j] += h
            bm[j] -= h
            up, um = self.full(bp)[1], self.full(bm)[1]
            if up is None or um is None:
                return fallback
            jac[:, a] = -(up[free] - um[free]) / (2 * h)
        jac = 0.5 * (jac + jac.T)
        if np.any(np.linalg.eigvalsh(jac) <= 0):
            return fallback
        return jac


def _profile_limit(pen, beta_hat, pl_hat, j, se_j, crit, side):
    """Profile penalised-likelihood limit for coefficient j on one side (+1 upper, -1 lower); each
    constrained fit starts from the previous one's coefficients (reset to beta_hat for the root)."""
    free = np.setdiff1d(np.arange(beta_hat.size), [j])
    start = {"beta": beta_hat.copy()}

    def pl_at(v):
        b = start["beta"].copy()
        b[j] = v
        try:
            if free.size:
                b, pl_v, _, _ = pen.maximise(b, free)
                start["beta"] = b
                return pl_v
            return pen(b)
        except (ValueError, np.linalg.LinAlgError):  # information singular far out: pl -> -inf
            return -np.inf

    def reset():
        start["beta"] = beta_hat.copy()

    return profile_limit(pl_at, beta_hat[j], pl_hat, se_j, crit, side, rtol=1e-12, before_root=reset)


def firth_cox_arrays(time, event, X, strata=None, *, ties: str = "breslow", columns=None,
                     conf_level: float = 0.95, profile: bool = True, max_iter: int = 200) -> FirthCox:
    """Firth-penalised Cox regression from arrays.

    Parameters
    ----------
    time, event : arrays of length n (right-censored; event 0/1 or bool).
    X : (n, p) design matrix (numeric; dummy columns for categories).
    strata : int codes of length n, or None.
    ties : ``"breslow"`` (default, as coxphf and SAS PHREG FIRTH) or ``"efron"``.
    columns : coefficient names (default ``x1..xp``).
    conf_level : level of the profile penalised-likelihood CI.
    profile : compute profile CIs and penalised LR p-values (set False for the estimate only).
    max_iter : Newton iterations for each maximisation.

    Returns
    -------
    FirthCox
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, p = X.shape
    if time.shape != (n,) or event.shape != (n,):
        raise ValueError("time, event and X must have the same number of rows")
    if not np.all(np.isin(event, (0, 1))):
        raise ValueError("event must be 0/1 or boolean")
    if not (np.all(np.isfinite(time)) and np.all(np.isfinite(X))):
        raise ValueError("time and X must be finite (drop rows with missing values first)")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level}")
    event = event.astype(bool)
    if event.sum() == 0:
        raise ValueError("the Firth Cox model needs at least one event")
    columns = list(columns) if columns is not None else [f"x{j + 1}" for j in range(p)]
    rs = RiskSets(time, event, strata, ties)
    # work on columns scaled to unit SD (as coxphf): the estimate is equivariant, pl shifts by a constant
    sd = X.std(axis=0, ddof=1) if n > 1 else np.ones(p)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    pen = _Penalised(rs, X / sd)
    shift = -float(np.sum(np.log(sd)))  # pl(original scale) = pl(scaled) + sum(log sd)
    beta0 = np.zeros(p)
    pl0 = pen(beta0)
    if not np.isfinite(pl0):
        raise ValueError("the information matrix is singular at 0: a column of X is constant or aliased")
    beta_s, pl_hat, iters, ok = pen.maximise(beta0, np.arange(p), max_iter=max_iter)
    if not ok:
        raise RuntimeError(f"Firth Newton-Raphson did not converge in {max_iter} iterations")
    _, _, info, _ = cox_derivatives(rs, X / sd, beta_s)
    var_s = np.linalg.inv(info)
    se_s = np.sqrt(np.diag(var_s))
    crit = float(chi2_ppf(conf_level, 1))
    lower = np.full(p, np.nan)
    upper = np.full(p, np.nan)
    chisq = np.full(p, np.nan)
    if profile:
        for j in range(p):  # loop over coefficients, each a few constrained fits
            lower[j] = _profile_limit(pen, beta_s, pl_hat, j, se_s[j], crit, -1) / sd[j]
            upper[j] = _profile_limit(pen, beta_s, pl_hat, j, se_s[j], crit, +1) / sd[j]
            b = beta_s.copy()
            b[j] = 0.0
            free = np.setdiff1d(np.arange(p), [j])
            pl_j = pen.maximise(b, free)[1] if free.size else pen(b)
            chisq[j] = max(2.0 * (pl_hat - pl_j), 0.0)
    beta = beta_s / sd
    var = var_s / np.outer(sd, sd)
    se = np.sqrt(np.diag(var))
    summary = pd.DataFrame(
        {"coef": beta, "se": se, "hr": np.exp(beta), "lower": np.exp(lower), "upper": np.exp(upper),
         "chisq": chisq, "p": chi2_sf(chisq, 1), "method": METHOD},
        index=pd.Index(columns, name="term"),
    )
    lr = max(2.0 * (pl_hat - pl0), 0.0)
    return FirthCox(
        coef=beta, var=var, columns=columns, summary=summary,
        lr_test=LRTest(float(lr), p, float(chi2_sf(lr, p))),
        loglik=(float(pl0) - shift, float(pl_hat) - shift),
        n=n, n_events=int(event.sum()), ties=ties, conf_level=conf_level, iterations=iters,
        separation=detect_separation(time, event, X, columns, strata=strata, ties=ties),
    )


def firth_cox(data, time, event, covariates, strata=None, conf_level=0.95, reference=None,
              ties="breslow") -> FirthCox:
    """Firth-penalised Cox model from a DataFrame (coxphf-style profile-likelihood inference).

    Parameters
    ----------
    data : pandas DataFrame.
    time, event : column names (event 0/1 or boolean).
    covariates : list of column names; string, category and bool columns are categorical
        (coefficient names ``<column><level>``, as :func:`oncoseries.cox`).
    strata : column name or list of names, or None.
    conf_level : level of the profile penalised-likelihood CI (default 0.95).
    reference : dict column -> reference level for categorical covariates.
    ties : ``"breslow"`` (default, coxphf) or ``"efron"``.

    Returns
    -------
    FirthCox with ``.summary`` (``coef, se, hr, lower, upper, chisq, p, method``) and ``.lr_test``.
    Rows with a missing value in any used column are dropped (R ``na.omit``).
    """
    from .design import model_matrix  # lazy: keeps ``import oncoseries`` light

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(covariates, str):
        covariates = [covariates]
    strata_cols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    for col in [time, event, *covariates, *strata_cols]:
        if col not in data.columns:
            raise ValueError(f"column {col!r} not found in data")
    # na.omit over time, event and strata first (R drops such rows before building the design)
    data = data.loc[data[[time, event, *strata_cols]].notna().all(axis=1)]
    design = model_matrix(data, list(covariates), reference=reference)
    sub = data.loc[np.asarray(design.row_mask, dtype=bool)]
    X = np.asarray(design.X, dtype=float)
    t = pd.to_numeric(sub[time], errors="coerce")
    if t.isna().any() or (t < 0).any():
        raise ValueError(f"column {time!r} must hold non-negative numbers")
    ev = sub[event]
    if ev.dtype == bool:
        ev = ev.astype(int)
    ev = pd.to_numeric(ev, errors="coerce")
    if not ev.isin([0, 1]).all():
        raise ValueError(f"column {event!r} must be 0/1 or boolean")
    codes = None
    if strata_cols:
        codes = sub.groupby(strata_cols, sort=True, observed=True).ngroup().to_numpy()
    return firth_cox_arrays(t.to_numpy(float), ev.to_numpy(int), X, codes, ties=ties,
                            columns=list(design.columns), conf_level=conf_level)
