"""The immortal-time guard: a covariate that happens during follow-up (surgical second remission, a
transplant, a response) analysed as it happened, beside the naive baseline comparison.

For each covariate in study.yaml ``time_dependent:`` (or a planned Cox covariate ``x`` with a date column
``x_date`` in patients) and each of PFS and OS:
- **naive**: Cox on the covariate as if known at time 0 (what the baseline table does; biased in the
  covariate's favour: patients who died before they could have it count against it);
- **time-dependent Cox** on counting-process data (the patient is "without" until the date, "with" after;
  R ``coxph(Surv(tstart, tstop, event) ~ x)`` on ``tmerge(..., tdc(date))``), Wald CI and P;
- **landmark** analysis (Anderson, Cain & Gelber 1983): patients still followed at the landmark, grouped
  by their state then, time from the landmark; Cox and log-rank;
- **Simon-Makuch** curves (Simon & Makuch 1984): Kaplan-Meier by current state with late entry.
Times are ADTTE days (``aval = adt - startdt + 1``); the change on date D happens at ``D - start + 1``, on
the same scale. A patient whose covariate says "yes" without a date is left out, with the reason.
A planned covariate that looks post-baseline (its name) but has no date gives a warning.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from ..config import TimeDependent
from ..problems import Problem
from ..stats.cox import cox
from ..stats.kaplan_meier import kaplan_meier
from ..stats.logrank import logrank
from ..stats.time_dependent import landmark_frame, split_at_switch
from .survival import EVENT, TIME

#: Names of covariates that are usually events after the start of treatment (warned about when planned
#: as baseline covariates with no date).
POST_BASELINE = re.compile(r"(^|_)(cr2|surg|surgery|resection|metastasectomy|transplant|sct|response|responder|"
                           r"remission|cr|pr|orr|bor|second_line|maintenance|radiotherapy|rt)(_|$)", re.IGNORECASE)


def specs(config, patients: pd.DataFrame, planned: set[str]) -> dict[str, TimeDependent]:
    """Declared covariates, plus planned covariates ``x`` whose date column ``x_date`` exists."""
    out = dict(config.time_dependent)
    for cov in sorted(planned):
        col = f"{cov}_date"
        if cov not in out and col in patients.columns and pd.api.types.is_datetime64_any_dtype(patients[col]):
            out[cov] = TimeDependent(date=col)
    for cov, spec in out.items():  # study.yaml labels rename levels ("yes" -> "CR2"): accept the new names
        lab = config.labels.get(cov)
        if lab is not None:
            wanted = {v.lower() for v in spec.values}
            extra = [new for old, new in lab.levels.items() if old.lower() in wanted]
            extra += [g for g, members in lab.groups.items() if any(m.lower() in wanted for m in members)]
            out[cov] = spec.model_copy(update={"values": list(spec.values) + extra})
    return out


def warnings_for(planned: set[str], declared: dict, file: str) -> list[Problem]:
    """A planned baseline covariate that looks like an event during follow-up, with no date."""
    out = []
    for cov in sorted(planned):
        if cov not in declared and POST_BASELINE.search(cov):
            out.append(Problem(
                "warning", file, None, cov,
                f"'{cov}' looks like something that happens after the start of treatment; compared as if known at "
                "the start, patients who died or progressed before they could have it count against it "
                "(immortal-time bias)",
                f"its date in patients (e.g. {cov}_date) or study.yaml time_dependent: {{{cov}: <date column>}} "
                "for a time-dependent analysis", "immortal-time"))
    return out


def _switch_days(frame: pd.DataFrame, cov: str, spec: TimeDependent) -> tuple[pd.Series, pd.Series]:
    """Day of the change (aval scale; NaN = never) and a reason for patients who cannot be placed."""
    start = pd.to_datetime(frame["start_date"])
    date = pd.to_datetime(frame[spec.date]) if spec.date in frame.columns else pd.Series(pd.NaT, index=frame.index)
    days = (date - start).dt.days.astype(float) + 1.0
    reason = pd.Series(None, index=frame.index, dtype=object)
    if cov in frame.columns and cov != spec.date:
        wanted = {v.strip().lower() for v in spec.values}
        said = frame[cov].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                              else str(v).strip().lower().removesuffix(".0"))
        yes = said.isin(wanted)
        reason[yes & date.isna()] = f"{cov} is yes but {spec.date} is empty"
        reason[said.isna()] = f"{cov} is missing"
        days = days.where(yes, np.nan)
    return days, reason


def _hr(fit) -> dict:
    r = fit.summary.iloc[0]
    return {"hr": float(r["hr"]), "lower": float(r["lower"]), "upper": float(r["upper"]), "p": float(r["p"]),
            "coef": float(r["coef"]), "se": float(r["se"])}


def analyse(df: pd.DataFrame, endpoint: str, cov: str, spec: TimeDependent, scale: float) -> tuple[dict, object]:
    """Naive, time-dependent, landmark and Simon-Makuch for one endpoint frame (time in days)."""
    days, reason = _switch_days(df, cov, spec)
    ok = reason.isna().to_numpy()
    d = pd.DataFrame({"patient_id": df.loc[ok, "patient_id"].to_numpy(), "time": df.loc[ok, TIME].to_numpy(),
                      "event": df.loc[ok, EVENT].to_numpy(), "switch": days[ok].to_numpy()})
    left_out = [{"patient_id": str(p), "reason": r} for p, r in zip(df.loc[~ok, "patient_id"], reason[~ok])]
    switched = d["switch"].notna() & (d["switch"] <= d["time"])
    out = {"endpoint": endpoint, "covariate": cov, "date_column": spec.date, "n": int(len(d)),
           "events": int(d["event"].sum()), "n_switched": int(d["switch"].notna().sum()),
           "n_switched_in_follow_up": int(switched.sum()), "left_out": left_out,
           "naive": None, "time_dependent": None, "landmark": None, "messages": []}
    if out["events"] < 2 or out["n_switched"] == 0 or out["n_switched"] == out["n"]:
        out["messages"].append("not estimable: fewer than 2 events, or nobody (or everybody) changed state")
        return out, None
    naive = d.assign(x=d["switch"].notna().astype(int))
    out["naive"] = _hr(cox(naive, "time", "event", ["x"]))
    rows = split_at_switch(d, "time", "event", "switch", covariate="x")
    if rows["x"].nunique() < 2:  # e.g. every change after the end of follow-up (found by fuzzing)
        out["messages"].append("time-dependent model not estimable: nobody is observed both before and "
                               "after the change")
        return out, None
    fit = cox(rows, "tstop", "event", ["x"], entry="tstart")
    out["time_dependent"] = {**_hr(fit), "rows": int(len(rows)), "lr_p": float(fit.lr_test.p_value)}
    sm = kaplan_meier(rows.assign(state=np.where(rows["x"] == 1, "after", "before")), "tstop", "event",
                      by="state", entry="tstart")
    landmark = spec.landmark
    if landmark is None:
        landmark = float(math.ceil(np.nanmedian(d["switch"].to_numpy()) / scale))
    lm, gone = landmark_frame(d, "time", "event", "switch", landmark * scale, covariate="x")
    entry = {"time": float(landmark), "n": int(len(lm)), "n_switched": int(lm["x"].sum()),
             "excluded": {str(k): int(v) for k, v in gone["reason"].value_counts().sort_index().items()},
             "default": spec.landmark is None}
    if int(lm["event"].sum()) >= 2 and 0 < entry["n_switched"] < len(lm):
        entry.update(_hr(cox(lm, "time", "event", ["x"])))
        entry["logrank_p"] = float(logrank(lm, "time", "event", by="x").p_value)
    else:
        entry["message"] = "not estimable at this landmark (fewer than 2 events or one group empty)"
    out["landmark"] = entry
    return out, sm
