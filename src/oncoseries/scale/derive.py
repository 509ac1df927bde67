"""Patient-level derivation (RECIST 1.1, endpoints) per partition of patients on a Dask cluster.

``oncoseries analyze --dask local[:N] | tcp://HOST:PORT`` (docs/scale.md). Patients are split into
contiguous blocks in the order of the patients table, every child table (lesions, assessments,
treatments) goes with its patients' block, and each block runs the unchanged in-memory code
(``derive_responses``, ``derive_endpoints``) on a worker. The blocks' tables are concatenated in block
order, which is the in-memory order, so results.json is the same as without ``--dask``. The
concordance of derived and investigator responses pairs scans across all patients: it is computed on the
client from the gathered time points.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pandas as pd

_CLIENT = None            # the dask.distributed Client of the running analysis (None: in memory)
_PARTITIONS = None


class DaskSpecError(ValueError):
    """A --dask value that is neither local[:N] nor a tcp:// scheduler address."""


def parse_spec(spec: str) -> tuple[str, int | str]:
    """``local`` / ``local:N`` -> ("local", N); ``tcp://host:port`` -> ("address", spec)."""
    m = re.fullmatch(r"local(?::(\d+))?", spec.strip())
    if m:
        n = int(m.group(1) or 2)
        if not 1 <= n <= 256:
            raise DaskSpecError(f"--dask local:N needs 1 <= N <= 256, got {n}")
        return "local", n
    if re.fullmatch(r"(tcp|tls)://[^\s:/]+:\d{1,5}", spec.strip()):
        return "address", spec.strip()
    raise DaskSpecError(f"--dask must be local, local:N (N worker processes) or tcp://HOST:PORT, got {spec!r}")


@contextlib.contextmanager
def dask_engine(spec: str, partitions: int | None = None):
    """Run the analysis inside with a Dask client (a LocalCluster of N processes, or a scheduler)."""
    global _CLIENT, _PARTITIONS
    try:
        import distributed
    except ImportError:
        raise DaskSpecError("--dask needs dask and distributed: pip install 'oncoseries[dask]'") from None
    kind, value = parse_spec(spec)
    cluster = None
    if kind == "local":
        cluster = distributed.LocalCluster(n_workers=value, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40)
        client = distributed.Client(cluster)
    else:
        try:
            client = distributed.Client(value, timeout="10s")
        except OSError as exc:
            raise DaskSpecError(f"cannot reach the Dask scheduler at {value} ({exc})") from None
    _CLIENT, _PARTITIONS = client, partitions
    try:
        yield client
    finally:
        _CLIENT = _PARTITIONS = None
        client.close()
        if cluster is not None:
            cluster.close()


def active() -> bool:
    return _CLIENT is not None


def _blocks(patients: pd.DataFrame, k: int) -> np.ndarray:
    """Block of each patient row: k contiguous blocks in table order."""
    n = len(patients)
    return np.minimum((np.arange(n) * k) // max(n, 1), k - 1)


def _split(df: pd.DataFrame | None, block_of: pd.Series, k: int) -> list:
    if df is None:
        return [None] * k
    b = df["patient_id"].map(block_of).to_numpy()
    # rows of unknown patients (already errors in validation) go nowhere, as in memory they match no one
    return [df.loc[b == i] for i in range(k)]


def _derive_block(patients, lesions, assessments, treatments, treated, recist_settings, endpoint_settings):
    """The in-memory derivation of one block of patients (as analysis/run.py does for all)."""
    from ..endpoints import derive_endpoints
    from ..recist import derive_responses

    recist = derive_responses(patients, lesions, assessments, recist_settings)
    recist.concordance = None  # computed over all patients on the client
    best_all = recist.best_response[recist.best_response["patient_id"].isin(treated)]
    best = best_all[best_all["response_population"].astype(bool)]
    known = None if treatments is None else treatments[["patient_id", "date"]].assign(source="treatment")
    tps = recist.timepoints[recist.timepoints["patient_id"].isin(treated)]
    endpoints = derive_endpoints(patients[patients["patient_id"].isin(treated)], tps, best, endpoint_settings,
                                 known_alive=known)
    return recist, endpoints


def derive_patient_level(study, plan, treated: set):
    """RECIST and endpoints of every patient, per block of patients on the cluster (module doc)."""
    from ..endpoints.derive import EndpointResult
    from ..recist import RecistResult, concordance, timepoints_from_assessments
    from ..recist._encode import Warnings

    client = _CLIENT
    patients = study.patients
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    k = _PARTITIONS or max(2 * workers, -(-len(patients) // 100_000))
    k = max(1, min(k, len(patients)))
    block = _blocks(patients, k)
    block_of = pd.Series(block, index=patients["patient_id"].to_numpy())
    block_of = block_of[~block_of.index.duplicated()]
    pieces = zip([patients.loc[block == i] for i in range(k)], _split(study.lesions, block_of, k),
                 _split(study.assessments, block_of, k), _split(study.treatments, block_of, k))
    futures = []
    for p, les, ass, trt in pieces:
        ids = set(p["patient_id"]) & treated
        data = client.scatter([p, les, ass, trt])
        futures.append(client.submit(_derive_block, *data, ids, plan.recist, plan.endpoints, pure=False))
    parts = client.gather(futures)
    rs = [r for r, _ in parts]
    es = [e for _, e in parts]

    def cat(frames):
        frames = list(frames)
        nonempty = [f for f in frames if len(f)]
        return pd.concat(nonempty, ignore_index=True) if nonempty else frames[0]

    recist = RecistResult(timepoints=cat(r.timepoints for r in rs), lesion_table=cat(r.lesion_table for r in rs),
                          best_response=cat(r.best_response for r in rs), population=cat(r.population for r in rs),
                          warnings=[w for r in rs for w in r.warnings], settings=plan.recist)
    if study.lesions is not None and len(study.lesions) and study.assessments is not None \
            and len(study.assessments):
        inv = timepoints_from_assessments(study.assessments, patients, Warnings())  # warnings came from blocks
        pop = recist.population
        recist.concordance = concordance(recist.timepoints, inv, patients,
                                         pop.loc[pop["evaluable"], "patient_id"], plan.recist)
    endpoints = EndpointResult(adtte=cat(e.adtte for e in es), warnings=[w for e in es for w in e.warnings],
                               settings=plan.endpoints)
    return recist, endpoints
