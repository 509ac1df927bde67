"""results.json ``historical_controls``: the series against the published results named in study.yaml
(docs/historical-control.md). Per survival reference: the reference curve (from summary numbers, a digitised
curve reconstructed by Guyot's algorithm, or patient data), the one-sample log-rank test with the SMR, the
series' and the reference's median and landmark survival beside the published numbers, and, when patient
data exist (real or reconstructed), the two-sample log-rank test and Cox HR. Per ORR benchmark: the exact
binomial test of the headline ORR. Times are in the study's time unit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DAYS_PER
from ..problems import Problem
from .survival import EVENT, TIME, endpoint_frame

CAVEAT = ("Comparisons with published results are not randomised: they are subject to selection bias (who was "
          "treated and reported in each series), era bias (staging, imaging and supportive care change over "
          "time) and differences in endpoint definitions and follow-up; they can suggest, not establish, a "
          "difference.")


def _read_csv(folder: Path, name: str) -> pd.DataFrame:
    """A CSV named in study.yaml: a file inside the study folder (a path leading out of it is refused, so a
    study uploaded to the web application cannot read other files)."""
    base = folder.resolve()
    path = (base / name).resolve()
    if Path(name).is_absolute() or not path.is_relative_to(base):
        raise ValueError(f"{name}: not a file of the study folder (give a path relative to the study folder)")
    if not path.is_file():
        raise ValueError(f"{name}: file not found in the study folder")
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name}: cannot be read as CSV ({exc})") from None


def _scaled(df: pd.DataFrame, factor: float) -> pd.DataFrame:
    cols = {str(c).strip().lower(): c for c in df.columns}
    if "time" in cols and factor != 1.0:
        df = df.copy()
        df[cols["time"]] = pd.to_numeric(df[cols["time"]], errors="coerce") * factor
    return df


def _reference(entry, folder: Path, factor: float):
    """(ReferenceCurve, IPD or None, reconstruction fit or None, notes)."""
    from ..compare import reference_curve
    from ..compare.guyot import reconstruct_ipd

    notes: list[str] = []
    if entry.curve:
        curve = _scaled(_read_csv(folder, entry.curve), factor)
        at = None if not entry.at_risk else _scaled(_read_csv(folder, entry.at_risk), factor)
        try:
            ipd = reconstruct_ipd(curve, at, n_total=entry.n_total, events_total=entry.events_total)
        except ValueError as exc:
            raise ValueError(f"{entry.curve}: {exc}") from None
        notes += ipd.attrs.get("notes", [])
        return (reference_curve(ipd, label=entry.name, citation=entry.citation), ipd, ipd.attrs.get("fit"), notes)
    if entry.ipd:
        raw = _scaled(_read_csv(folder, entry.ipd), factor)
        cols = {str(c).strip().lower(): c for c in raw.columns}
        if "time" not in cols or "event" not in cols:
            raise ValueError(f"{entry.ipd}: expected columns time and event (got {', '.join(map(str, raw.columns))})")
        ipd = pd.DataFrame({"time": pd.to_numeric(raw[cols["time"]], errors="coerce"), "event": raw[cols["event"]]})
        try:
            ref = reference_curve(ipd, label=entry.name, citation=entry.citation)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{entry.ipd}: {exc}") from None
        return ref, ref.ipd, None, notes
    median = None if entry.median is None else entry.median * factor
    marks = {float(t) * factor: s for t, s in entry.landmarks.items()}
    if median is not None and any(np.isclose(t, median) for t in marks):
        notes.append(f"the published median ({entry.median:g}) falls at a published landmark; the curve is built "
                     "from the landmark survival and the median is compared only")
        median = None
    ref = reference_curve(median=median, landmarks=marks or None, shape=entry.shape, label=entry.name,
                          citation=entry.citation)
    return ref, None, None, notes


def _landmarks(entry, ref, km, factor: float, scale: float) -> list[dict]:
    from ..compare.reference import summary_points

    published = dict(summary_points(None, {float(t) * factor: s for t, s in entry.landmarks.items()})) \
        if entry.landmarks else {}
    times = sorted(published) or ([float(ref.median)] if ref.median else [])
    out = []
    if times:
        at = km.at(np.asarray(times) * scale)
        for t, row in zip(times, at.itertuples()):
            out.append({"time": float(t), "published": published.get(t), "reference": float(ref.survival([t])[0]),
                        "series": None if np.isnan(row.survival) else float(row.survival),
                        "lower": None if np.isnan(row.lower) else float(row.lower),
                        "upper": None if np.isnan(row.upper) else float(row.upper), "n_risk": int(row.n_risk)})
    return out


def _survival_entry(entry, df: pd.DataFrame, folder: Path, unit: str, scale: float) -> dict:
    from ..compare import one_sample_logrank
    from ..compare.two_sample import compare_with_ipd
    from ..stats.kaplan_meier import kaplan_meier

    factor = DAYS_PER[entry.time_unit or unit] / DAYS_PER[unit]
    ref, ipd, fit, notes = _reference(entry, folder, factor)
    series = pd.DataFrame({"time": df[TIME].to_numpy(float) / scale, "event": df[EVENT].to_numpy(int)})
    km = kaplan_meier(df, TIME, EVENT)
    med = km.medians.iloc[0]
    horizon = (ref.last_time if entry.horizon == "auto" else None if entry.horizon == "none"
               else float(entry.horizon) * factor)
    test = one_sample_logrank(series, "time", "event", ref, horizon=horizon)
    out = {"source": "curve" if entry.curve else "ipd" if entry.ipd else "summary",
           "reference": ref.to_dict(), "published_median": entry.median, "horizon": horizon,
           "series": {"n": int(med["n"]), "events": int(med["events"]),
                      "median": None if not np.isfinite(med["median"]) else float(med["median"]) / scale,
                      "lower": None if not np.isfinite(med["lower"]) else float(med["lower"]) / scale,
                      "upper": None if not np.isfinite(med["upper"]) else float(med["upper"]) / scale},
           "landmarks": _landmarks(entry, ref, km, factor, scale), "one_sample": test.to_dict(),
           "two_sample": None if ipd is None else compare_with_ipd(series, "time", "event", ipd),
           "reconstruction": fit, "notes": notes}
    if test.n_beyond:
        out["notes"].append(f"{test.n_beyond} patient(s) followed beyond the reference's last time "
                            f"({ref.last_time:.3g} {unit}); the reference hazard was extended there")
    return out, ipd


def _orr_entry(entry, response: dict) -> dict:
    from ..compare import binomial_test

    headline = "confirmed" if response.get("headline") == "confirmed_bor" else "unconfirmed"
    row = next((r for r in response.get(headline) or [] if r.get("category") == "ORR"), None)
    if row is None or not row.get("N"):
        raise ValueError("no patient was evaluable for response")
    test = binomial_test(int(row["n"]), int(row["N"]), entry.benchmark)
    return {"source": "rate", "benchmark": entry.benchmark, "headline": headline, "test": test.to_dict()}


def historical_section(study, adtte: pd.DataFrame, frame: pd.DataFrame, response: dict,
                       scale: float) -> tuple[list[dict], list[Problem], dict]:
    """The ``historical_controls`` entries, the problems they raised (a reference that cannot be built is
    reported and skipped, never fatal) and the reference patients (``reference`` = entry index, ``endpoint``,
    ``time`` in the study's unit, ``event``; derived/historical_ipd.csv and the overlay figure)."""
    entries = study.config.historical_controls
    folder = Path(getattr(study, "path", ".") or ".")
    folder = folder if folder.is_dir() else folder.parent
    out, problems, ipds = [], [], {}
    for i, entry in enumerate(entries):
        base = {"endpoint": entry.endpoint, "citation": entry.citation, "label": entry.name}
        try:
            if entry.endpoint == "ORR":
                res = _orr_entry(entry, response)
            else:
                if not (adtte["paramcd"] == entry.endpoint).any():
                    raise ValueError(f"the series has no {entry.endpoint} data")
                df = endpoint_frame(adtte, entry.endpoint, frame)
                res, ref_ipd = _survival_entry(entry, df, folder, study.config.time_unit, scale)
                if ref_ipd is not None:
                    ipds[i] = ref_ipd.assign(reference=i, endpoint=entry.endpoint)
        except ValueError as exc:
            res = {"error": str(exc)}
            problems.append(Problem("warning", "study.yaml", None, f"historical_controls[{i}]",
                                    f"comparison with {entry.name} ({entry.endpoint}) not made: {exc}", None,
                                    "historical_controls", None))
        out.append({**base, **res})
    ipd = pd.concat(list(ipds.values()), ignore_index=True)[["reference", "endpoint", "time", "event"]] \
        if ipds else None
    return out, problems, ipd

