"""More data than memory: KM and log-rank on 10^8 rows, Cox on 2*10^7 rows x 10 covariates, from partitioned
Parquet on a LocalCluster of 2 worker processes with a 2 GB memory limit each (issue 17, docs/scale.md).

    PYTHONPATH=src python benchmarks/bench_dask.py [--km-rows 100000000] [--cox-rows 20000000]
                                                   [--part-rows 1000000] [--data /tmp/oncoseries-bench-dask]

Each result is checked against an independent chunked in-memory computation (Parquet read one file at a
time with pyarrow, counts or sums accumulated with numpy; no oncoseries code): the KM survival at every
time, the log-rank chi-square, and the Breslow Cox coefficients and variance (the script's own Newton
iteration on per-time sums). The Efron fit on the cluster is compared with ``osr.cox`` in memory on the
first ``--exact-rows`` rows. Per worker: peak RSS (getrusage, workers restarted between steps). For Cox:
bytes returned to the client per Newton step (the arrays of sums). lifelines (the peer) runs on a
subsample it can hold: KM and log-rank on --peer-rows rows, Cox on --peer-cox-rows rows.
Data are SYNTHETIC (seeded numpy).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

P = 10


def _km_part(rng, n):
    arm = rng.integers(0, 2, n).astype(np.int8)
    t_ev = rng.exponential(np.where(arm == 1, 900.0, 700.0))
    t_c = rng.uniform(30, 3650, n)
    time_ = np.ceil(np.minimum(t_ev, t_c)).astype(np.int32)
    return pa.table({"time": time_, "event": (t_ev <= t_c).astype(np.int8), "arm": arm})


def _cox_part(rng, n, beta):
    X = np.column_stack([rng.normal(size=n) for _ in range(6)] + [rng.integers(0, 2, n) for _ in range(2)]
                        + [rng.uniform(0, 1, n) for _ in range(2)]).astype(np.float64)
    t_ev = rng.exponential(800.0 * np.exp(-(X @ beta)))
    t_c = rng.uniform(30, 3650, n)
    cols = {f"x{j}": X[:, j] for j in range(P)}
    cols["time"] = np.ceil(np.minimum(t_ev, t_c)).astype(np.float64)
    cols["event"] = (t_ev <= t_c).astype(np.int8)
    return pa.table(cols)


BETA = np.array([0.3, -0.2, 0.1, 0.05, 0.0, -0.1, 0.4, -0.3, 0.2, 0.1])


def write(folder: Path, rows: int, part_rows: int, make, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    rng = np.random.default_rng(seed)
    for i in range(-(-rows // part_rows)):
        f = folder / f"part-{i}.parquet"
        n = min(part_rows, rows - i * part_rows)
        if not f.exists():
            pq.write_table(make(rng, n), f)
        files.append(f)
    return files


def peak_rss_mb(client) -> list[float]:
    return sorted(v / 1024 for v in client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())


def chunked_km(files, K=3651):
    """Counts per (arm, time, event) by file, then S(t) = prod (1 - d/n) and the 2-group log-rank."""
    d = np.zeros((2, K))
    m = np.zeros((2, K))
    for f in files:
        t = pq.read_table(f)
        time_, ev, arm = (t.column(c).to_numpy() for c in ("time", "event", "arm"))
        m += np.bincount(arm.astype(np.int64) * K + time_, minlength=2 * K).reshape(2, K)
        d += np.bincount(arm.astype(np.int64) * K + time_, weights=ev, minlength=2 * K).reshape(2, K)
    risk = np.cumsum(m[:, ::-1], axis=1)[:, ::-1]
    surv = []
    for g in range(2):
        used = m[g] > 0
        surv.append((np.flatnonzero(used), np.cumprod(np.where(used, 1 - d[g] / np.where(risk[g] > 0, risk[g], 1),
                                                               1.0))[used]))
    N, D = risk.sum(0), d.sum(0)
    ok = D > 0
    E1 = (risk[1] * D / np.where(N > 0, N, 1))[ok].sum()
    V = (risk[0] * risk[1] * D * (N - D) / np.where(N > 1, N * N * (N - 1), 1))[ok & (N > 1)].sum()
    return surv, (d[1].sum() - E1) ** 2 / V


def chunked_breslow(files, iters=25):
    """An independent chunked Breslow fit: per-time sums of r, r x, r x x' accumulated file by file."""
    K = 3651
    beta = np.zeros(P)
    # centring (mean of each column) keeps exp() in range; the fit is invariant to it
    n, sx = 0, np.zeros(P)
    for f in files:
        X = np.column_stack([pq.read_table(f, columns=[f"x{j}"]).column(0).to_numpy() for j in range(P)])
        n += X.shape[0]
        sx += X.sum(0)
    mu = sx / n
    ll_old = None
    for _ in range(iters):
        S0, S1, S2 = np.zeros(K), np.zeros((K, P)), np.zeros((K, P, P))
        dcount, xd, etad = np.zeros(K), np.zeros(P), 0.0
        for f in files:
            t = pq.read_table(f)
            X = np.column_stack([t.column(f"x{j}").to_numpy() for j in range(P)]) - mu
            tt = t.column("time").to_numpy().astype(np.int64)
            ev = t.column("event").to_numpy().astype(bool)
            eta = X @ beta
            r = np.exp(eta)
            S0 += np.bincount(tt, r, K)
            for j in range(P):
                S1[:, j] += np.bincount(tt, r * X[:, j], K)
                for k in range(j + 1):
                    S2[:, j, k] += np.bincount(tt, r * X[:, j] * X[:, k], K)
            dcount += np.bincount(tt[ev], minlength=K)
            xd += X[ev].sum(0)
            etad += eta[ev].sum()
        S2 = S2 + np.transpose(S2, (0, 2, 1)) - S2 * np.eye(P)
        R0 = np.cumsum(S0[::-1])[::-1]
        R1 = np.cumsum(S1[::-1], 0)[::-1]
        R2 = np.cumsum(S2[::-1], 0)[::-1]
        e = dcount > 0
        ll = etad - (dcount[e] * np.log(R0[e])).sum()
        xbar = R1[e] / R0[e, None]
        u = xd - (dcount[e, None] * xbar).sum(0)
        H = (dcount[e, None, None] * (R2[e] / R0[e, None, None] - xbar[:, :, None] * xbar[:, None, :])).sum(0)
        beta = beta + np.linalg.solve(H, u)
        if ll_old is not None and abs(1 - ll_old / ll) < 1e-12:
            break
        ll_old = ll
    return beta, np.linalg.inv(H)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--km-rows", type=int, default=100_000_000)
    ap.add_argument("--cox-rows", type=int, default=20_000_000)
    ap.add_argument("--part-rows", type=int, default=1_000_000)
    ap.add_argument("--exact-rows", type=int, default=1_000_000)
    ap.add_argument("--peer-rows", type=int, default=10_000_000)
    ap.add_argument("--peer-cox-rows", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path("/tmp/oncoseries-bench-dask"))
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (the model in docs/scale.md is "
                                                           "fitted to 1- and 2-worker runs)")
    ap.add_argument("--only-dask", action="store_true", help="skip the chunked references and the exact check")
    a = ap.parse_args()

    import dask.dataframe as dd
    import distributed
    import pandas as pd

    import oncoseries as osr

    out: dict = {"workers": a.workers, "km_rows": a.km_rows, "cox_rows": a.cox_rows, "part_rows": a.part_rows}
    t = time.perf_counter()
    km_files = write(a.data / f"km-{a.km_rows}", a.km_rows, a.part_rows, _km_part, 1)
    cox_files = write(a.data / f"cox-{a.cox_rows}", a.cox_rows, a.part_rows, lambda r, n: _cox_part(r, n, BETA), 2)
    out["write_s"] = time.perf_counter() - t

    def cluster():
        """A fresh LocalCluster per measurement, so each worker's peak RSS is that measurement's."""
        c = distributed.LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, memory_limit="2GB",
                                     dashboard_address=None, silence_logs=40)
        return c, distributed.Client(c)

    def close(c, client):
        client.close()
        c.close()

    c, client = cluster()
    ddf = dd.read_parquet(str(a.data / f"km-{a.km_rows}"))
    t = time.perf_counter()
    km = osr.kaplan_meier(ddf, "time", "event", by="arm")
    out["km_s"] = time.perf_counter() - t
    t = time.perf_counter()
    lr = osr.logrank(ddf, "time", "event", by="arm")
    out["logrank_s"] = time.perf_counter() - t
    out["km_logrank_peak_rss_mb_per_worker"] = peak_rss_mb(client)
    out["km_partitions"] = ddf.npartitions
    close(c, client)
    if not a.only_dask:
        t = time.perf_counter()
        surv, chi2 = chunked_km(km_files)
        out["chunked_reference_km_logrank_s"] = time.perf_counter() - t
        worst = 0.0
        for g, (times, s) in enumerate(surv):
            tab = km.table[km.table["group"] == str(g)]
            assert np.array_equal(tab["time"].to_numpy(), times)
            worst = max(worst, float(np.max(np.abs(tab["survival"].to_numpy() - s) / s)))
        out["km_max_rel_diff_vs_chunked"] = worst
        out["logrank_rel_diff_vs_chunked"] = abs(lr.statistic - chi2) / chi2
    out["logrank_chi2"] = lr.statistic
    out["km_medians"] = km.medians[["group", "n", "events", "median"]].to_dict("records")

    cov = [f"x{j}" for j in range(P)]
    for ties in ("breslow", "efron"):
        c, client = cluster()
        cdf = dd.read_parquet(str(a.data / f"cox-{a.cox_rows}"))
        t = time.perf_counter()
        fit = osr.cox(cdf, "time", "event", cov, ties=ties)
        out[f"cox_{ties}_s"] = time.perf_counter() - t
        out[f"cox_{ties}_info"] = fit.dask_info
        out[f"cox_{ties}_peak_rss_mb_per_worker"] = peak_rss_mb(client)
        out[f"cox_{ties}_coef"] = fit.coef.tolist()
        close(c, client)
        if ties == "breslow":
            breslow = fit
    if a.only_dask:
        print(json.dumps(out, indent=1, default=float))
        return
    t = time.perf_counter()
    ref_beta, ref_var = chunked_breslow(cox_files)
    out["chunked_reference_breslow_s"] = time.perf_counter() - t
    out["cox_breslow_coef_max_rel_diff_vs_chunked"] = float(np.max(np.abs(breslow.coef - ref_beta) / np.abs(ref_beta)))
    out["cox_breslow_var_max_rel_diff_vs_chunked"] = float(np.max(np.abs(breslow.var - ref_var) / np.abs(ref_var)))

    n_exact = min(a.exact_rows, a.cox_rows)
    k = -(-n_exact // a.part_rows)
    pdf = pd.concat([pq.read_table(f).to_pandas() for f in cox_files[:k]], ignore_index=True)
    t = time.perf_counter()
    mem = osr.cox(pdf, "time", "event", cov)
    out["exact_rows"] = len(pdf)
    out["cox_in_memory_s"] = time.perf_counter() - t
    c, client = cluster()
    d = osr.cox(dd.read_parquet([str(f) for f in cox_files[:k]]), "time", "event", cov)
    close(c, client)
    cols = ["coef", "se", "z"]
    out["cox_efron_vs_in_memory_max_rel_diff"] = float(np.max(np.abs(d.summary[cols].to_numpy()
                                                                     - mem.summary[cols].to_numpy())
                                                              / np.abs(mem.summary[cols].to_numpy())))
    del pdf

    if not a.skip_peer:
        import lifelines
        from lifelines.statistics import logrank_test

        warnings.simplefilter("ignore")
        k = -(-min(a.peer_rows, a.km_rows) // a.part_rows)
        pdf = pd.concat([pq.read_table(f).to_pandas() for f in km_files[:k]], ignore_index=True)
        out["peer_rows"] = len(pdf)
        t = time.perf_counter()
        for g in (0, 1):
            m = pdf["arm"] == g
            lifelines.KaplanMeierFitter().fit(pdf.loc[m, "time"], pdf.loc[m, "event"])
        out["lifelines_km_s"] = time.perf_counter() - t
        t = time.perf_counter()
        m = pdf["arm"] == 1
        logrank_test(pdf.loc[m, "time"], pdf.loc[~m, "time"], pdf.loc[m, "event"], pdf.loc[~m, "event"])
        out["lifelines_logrank_s"] = time.perf_counter() - t
        t = time.perf_counter()
        osr.kaplan_meier(pdf, "time", "event", by="arm")
        out["oncoseries_in_memory_km_s_same_rows"] = time.perf_counter() - t
        del pdf
        k = -(-min(a.peer_cox_rows, a.cox_rows) // a.part_rows)
        pdf = pd.concat([pq.read_table(f).to_pandas() for f in cox_files[:k]], ignore_index=True)
        out["peer_cox_rows"] = len(pdf)
        t = time.perf_counter()
        lifelines.CoxPHFitter().fit(pdf[cov + ["time", "event"]], "time", "event")
        out["lifelines_cox_s"] = time.perf_counter() - t
    out["client_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
