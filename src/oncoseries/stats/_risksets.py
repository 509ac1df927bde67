"""Risk-set sums for Cox partial-likelihood computations (private, array level).

Rows are sorted by (stratum, time); within a stratum, risk-set sums are reverse cumulative sums,
computed per stratum (a loop over strata only, never over rows or event times) so that no stratum
loses precision to the sums of the others. Each death is one "pseudo event" ``e``:

- Breslow: the risk set is everyone with ``time >= t_e`` in the stratum (a tie of ``d`` deaths gives
  ``d`` identical pseudo events, which is R's ``deadwt * ...``).
- Efron: the k-th (k = 0..d-1) of ``d`` tied deaths has the tied deaths down-weighted by
  ``1 - k/d`` (R survival ``coxfit6``/``zph1``).

A weighted sum over pseudo events of a risk-set moment, ``sum_e w_e * S2_e / S0_e``, is a sum over
rows ``X' diag(r_i * W_i) X`` with ``W_i`` a cumulative sum over the pseudo events whose risk set
holds row ``i`` (a Breslow-hazard-like sum). That keeps every computation O(n p^2) in time and
O(n p) in memory, with no per-event p x p arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _revcumsum(v: np.ndarray) -> np.ndarray:
    """Sums from each position to the end (axis 0), accumulated from the end as R's C code does."""
    return np.cumsum(v[::-1], axis=0)[::-1]


@dataclass
class _Stratum:
    rows: np.ndarray  # indices into the caller's arrays, sorted by time (stable)
    time: np.ndarray  # sorted times
    death: np.ndarray  # bool, sorted
    ev: np.ndarray  # positions (in this stratum) of the deaths, ascending
    ev_start: np.ndarray  # position of the first row tied with each death (risk-set start)
    ev_grp: np.ndarray  # tie group of each death (0..G-1, ascending in time)
    grp_start: np.ndarray  # first pseudo-event index of each tie group
    ev_k: np.ndarray  # rank of each death within its tie group (0..d-1)
    ev_d: np.ndarray  # number of deaths in the death's tie group
    row_last_ev: np.ndarray  # per row: last pseudo event with t_e <= t_i (-1 if none)
    row_grp: np.ndarray  # per row: its tie group if the row is a death, else -1


class RiskSets:
    """Sorted structure of a (time, event, strata) triple, reusable across coefficient values.

    Parameters
    ----------
    time, event : array-like of length n (event 0/1 or bool)
    strata : array-like of int codes or None
    ties : ``"efron"`` or ``"breslow"``
    """

    def __init__(self, time, event, strata=None, ties: str = "efron"):
        time = np.asarray(time, dtype=float)
        event = np.asarray(event).astype(bool)
        if ties not in ("efron", "breslow"):
            raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
        self.n = time.shape[0]
        self.ties = ties
        codes = np.zeros(self.n, dtype=np.int64) if strata is None else np.asarray(strata)
        self.strata_codes = codes
        order = np.lexsort((time, codes))  # stable: ties keep the original row order (as R's order())
        scodes = codes[order]
        cut = np.flatnonzero(scodes[1:] != scodes[:-1]) + 1
        bounds = np.concatenate(([0], cut, [self.n]))
        self.order = order
        self.strata = [self._build(order[a:b], time, event) for a, b in zip(bounds[:-1], bounds[1:])]
        self.n_events = int(event.sum())
        # pseudo events in (stratum, time) order, as R's zph1 and the Schoenfeld residuals
        self.event_rows = np.concatenate([s.rows[s.ev] for s in self.strata])
        self.event_stratum = np.concatenate(
            [np.full(s.ev.size, k, dtype=np.int64) for k, s in enumerate(self.strata)]
        )

    def _build(self, rows, time, event) -> _Stratum:
        t = time[rows]
        dth = event[rows]
        n = t.size
        new_blk = np.ones(n, dtype=bool)
        new_blk[1:] = t[1:] != t[:-1]
        blk_id = np.cumsum(new_blk) - 1
        blk_first = np.flatnonzero(new_blk)
        blk_last = np.concatenate((blk_first[1:], [n])) - 1
        ev = np.flatnonzero(dth)
        ev_blk = blk_id[ev]
        new_grp = np.ones(ev.size, dtype=bool)
        new_grp[1:] = ev_blk[1:] != ev_blk[:-1]
        ev_grp = np.cumsum(new_grp) - 1
        grp_start = np.flatnonzero(new_grp)
        grp_size = np.diff(np.concatenate((grp_start, [ev.size])))
        ev_k = np.arange(ev.size) - grp_start[ev_grp]
        cum_deaths = np.cumsum(dth)
        row_last_ev = cum_deaths[blk_last[blk_id]] - 1
        row_grp = np.full(n, -1, dtype=np.int64)
        row_grp[ev] = ev_grp
        return _Stratum(
            rows=rows, time=t, death=dth, ev=ev, ev_start=blk_first[ev_blk], ev_grp=ev_grp,
            grp_start=grp_start, ev_k=ev_k, ev_d=grp_size[ev_grp], row_last_ev=row_last_ev,
            row_grp=row_grp,
        )

    # ------------------------------------------------------------------ per-stratum moments
    def frac(self, s: _Stratum) -> np.ndarray:
        """Efron down-weighting k/d of the tied deaths for each pseudo event (0 for Breslow)."""
        if self.ties == "breslow":
            return np.zeros(s.ev.size)
        return s.ev_k / s.ev_d

    @staticmethod
    def group_sum(s: _Stratum, v: np.ndarray) -> np.ndarray:
        """Sum of per-pseudo-event values within each tie group (groups are contiguous)."""
        return np.add.reduceat(v, s.grp_start, axis=0) if v.shape[0] else v

    def row_cumulative(self, s: _Stratum, a: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Per row i: sum over pseudo events e whose risk set holds i of ``rho_ie * a_e``.

        ``rho_ie`` is 1, except ``1 - f_e`` when i is one of the deaths tied at ``t_e`` (Efron).
        ``a`` has shape (n_e,) or (n_e, k).
        """
        if a.shape[0] == 0:
            return np.zeros((s.time.size,) + a.shape[1:])
        cum = np.cumsum(a, axis=0)
        zero = np.zeros((1,) + a.shape[1:])
        out = np.concatenate((zero, cum))[s.row_last_ev + 1]
        if self.ties == "efron":
            fa = f.reshape((-1,) + (1,) * (a.ndim - 1)) * a
            corr = self.group_sum(s, fa)
            dead = s.row_grp >= 0
            out[dead] -= corr[s.row_grp[dead]]
        return out

    def risk_sums(self, s: _Stratum, v: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Per pseudo event: Efron-weighted risk-set sum of the per-row values ``v`` (n_s, ...)."""
        full = _revcumsum(v)[s.ev_start]
        if self.ties == "breslow" or s.ev.size == 0:
            return full
        dead = self.group_sum(s, v[s.ev])[s.ev_grp]
        return full - f.reshape((-1,) + (1,) * (v.ndim - 1)) * dead


def linear_predictor(X: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-centred design and its linear predictor (R centres both; results are invariant)."""
    Xc = X - X.mean(axis=0)
    eta = Xc @ coef
    top = eta.max() if eta.size else 0.0
    if top > 500:  # exp() overflow guard; a constant shift cancels in every ratio
        eta = eta - top
    return Xc, eta


def cox_derivatives(rs: RiskSets, X: np.ndarray, coef: np.ndarray, third: bool = False, a_mat=None):
    """Partial log-likelihood, score, information and (optionally) the Firth correction.

    Returns ``(loglik, score, info, corr)`` where ``corr[r] = tr(A dI/dbeta_r)`` with
    ``A = a_mat`` (the inverse information for the Firth score; computed here if None), or
    ``corr = None`` when ``third`` is False. ``dI/dbeta_r`` is the sum over pseudo events of the
    third central moment of x in the weighted risk set (Heinze & Schemper 2001, eq. 2).
    """
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    Xc, eta = linear_predictor(X, coef)
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    parts = []
    for s in rs.strata:
        if s.ev.size == 0:
            continue
        x = Xc[s.rows]
        et = eta[s.rows]
        shift = et.max()
        r = np.exp(et - shift)
        f = rs.frac(s)
        s0 = rs.risk_sums(s, r, f)
        s1 = rs.risk_sums(s, r[:, None] * x, f)
        m = s1 / s0[:, None]
        xe = x[s.ev]
        loglik += float(np.sum(et[s.ev] - shift) - np.sum(np.log(s0)))
        score += xe.sum(axis=0) - m.sum(axis=0)
        w_row = r * rs.row_cumulative(s, 1.0 / s0, f)
        info += x.T @ (w_row[:, None] * x) - m.T @ m
        parts.append((s, x, r, f, s0, m, w_row))
    # loglik above uses the centred eta: the centring constant cancels (one per death on each side)
    if not third:
        return loglik, score, info, None
    if a_mat is None:
        a_mat = np.linalg.inv(info)
    corr = np.zeros(p)
    for s, x, r, f, s0, m, w_row in parts:
        xa = x @ a_mat
        q = np.einsum("ij,ij->i", xa, x)  # x_i' A x_i
        corr += x.T @ (w_row * q)  # sum_e E_e[x'Ax x_r]
        h = rs.row_cumulative(s, m / s0[:, None], f)  # sum_e rho_ie m_e / S0_e
        corr -= 2.0 * x.T @ (r * np.einsum("ij,ij->i", xa, h))  # 2 m'A E[x x_r]
        qs = rs.risk_sums(s, r * q, f) / s0  # E_e[x'Ax]
        mam = np.einsum("ij,ij->i", m @ a_mat, m)
        corr += m.T @ (2.0 * mam - qs)  # - m_r E[x'Ax] + 2 m_r m'Am
    return loglik, score, info, corr
