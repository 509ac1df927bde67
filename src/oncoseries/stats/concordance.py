"""Harrell's concordance and its standard error, as R survival's ``concordancefit`` for a coxph fit.

R (survival 3.5-3, concordancefit with reverse=TRUE, timewt="n"): a pair is comparable when the
earlier time is an event and, at that time, the other subject is still at risk (a later time, or a
censored time equal to it; with delayed entry, entry < event time); pairs never cross strata.
C = (concordant + tied.x / 2) / (concordant + discordant + tied.x), where concordant means the
earlier event had the larger linear predictor; tied event times are not comparable. The standard
error is the infinitesimal jackknife of R: dfbeta_i = ((C_i - D_i) - d * (C_i + D_i + T_i)) / npair
with C_i, D_i, T_i the pairs subject i is part of and d Somers' d; var = sum (dfbeta summed by
cluster)^2 / 4.
"""

from __future__ import annotations

import numpy as np

__all__ = ["concordance"]

_BLOCK = 2_000_000  # pairwise cells per block in the numpy path


def _counts_numpy(time, status, lp, strata, entry):
    """Per-subject pair counts (n x 3: concordant-as-R-col0, col1, tied.x) by blocks of pairs."""
    n = time.size
    imat = np.zeros((n, 3))
    deaths = np.flatnonzero(status > 0)
    rows = max(1, _BLOCK // max(n, 1))
    for b in range(0, deaths.size, rows):
        i = deaths[b:b + rows]
        ti = time[i][:, None]
        comp = (time[None, :] > ti) | ((time[None, :] == ti) & (status[None, :] == 0))
        if strata is not None:
            comp &= strata[None, :] == strata[i][:, None]
        if entry is not None:
            comp &= entry[None, :] < ti
        xi = lp[i][:, None]
        for k, cat in enumerate((lp[None, :] > xi, lp[None, :] < xi, lp[None, :] == xi)):
            m = comp & cat
            imat[i, k] += m.sum(axis=1)
            imat[:, k] += m.sum(axis=0)
    return imat


def concordance(time, status, lp, strata=None, entry=None, cluster=None, use_numba=False):
    """Concordance (R coxph's ``concordance``) and its standard error.

    Parameters
    ----------
    time, status, lp : ndarray
        Exit time, 0/1 event, linear predictor.
    strata, entry, cluster : ndarray, optional
        Integer stratum codes, entry times (delayed entry), cluster codes.
    use_numba : bool
        Use the O(n log n) numba kernel (large data) instead of the pairwise numpy path.

    Returns
    -------
    (concordance, se) : tuple of float
    """
    time = np.asarray(time, dtype=np.float64)
    status = np.asarray(status, dtype=np.float64)
    lp = np.asarray(lp, dtype=np.float64)
    if use_numba:
        from ._concordance_numba import counts_numba

        imat = counts_numba(time, status, lp, strata, entry)
    else:
        imat = _counts_numpy(time, status, lp, strata, entry)
    # each pair is counted once from the event side and once from the other side
    c0, c1, c2 = imat.sum(axis=0) / 2
    npair = c0 + c1 + c2
    if npair == 0:
        return float("nan"), float("nan")
    somer = (c0 - c1) / npair
    dfbeta = (imat[:, 0] - imat[:, 1]) / npair - (somer / npair) * imat.sum(axis=1)
    if cluster is not None:
        dfbeta = np.bincount(cluster, weights=dfbeta)
    var = float(np.sum(dfbeta ** 2)) / 4
    conc = 1 - (somer + 1) / 2  # reverse=TRUE: a larger lp predicts an earlier event
    return float(conc), float(np.sqrt(var))
