"""A covariate that happens during follow-up (surgery, transplant, a second remission): the data layouts
that avoid immortal-time bias, equal to R ``survival``.

- ``split_at_switch``: counting-process rows as ``survival::tmerge(..., tdc(switch))``: a patient is in
  the "before" state on (0, switch] and the "after" state on (switch, time]; a switch at or after the end of
  follow-up never happens, one at or before time 0 applies from the start. Fit ``cox(..., entry="tstart")``
  on it for the time-dependent Cox model (``coxph(Surv(tstart, tstop, event) ~ x)``), and
  ``kaplan_meier(..., by=covariate, entry="tstart")`` for the Simon-Makuch curves (Simon & Makuch 1984,
  Stat Med 3:35; ``survfit(Surv(tstart, tstop, event) ~ x)``).
- ``landmark_frame``: the landmark method (Anderson, Cain & Gelber 1983, J Clin Oncol 1:710): patients
  still in follow-up at the landmark L (time > L), grouped by their state at L (switched at or before L),
  with time counted from L.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["split_at_switch", "landmark_frame"]


def _values(data: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)


def split_at_switch(data: pd.DataFrame, time: str, event: str, switch: str, covariate: str = "switched",
                    tstart: str = "tstart", tstop: str = "tstop") -> pd.DataFrame:
    """Counting-process rows (``tstart``, ``tstop``, ``event``, ``covariate`` 0/1), one or two per row of
    ``data`` (other columns carried over; the source row's index in ``row``). ``switch`` holds the time of
    the change on the same scale as ``time`` (NaN: never)."""
    t = _values(data, time)
    s = _values(data, switch)
    ev = pd.to_numeric(data[event].astype(float), errors="coerce").to_numpy()
    split = np.isfinite(s) & (s > 0) & (s < t)
    from_start = np.isfinite(s) & (s <= 0)
    rows = np.arange(len(data))
    first = pd.DataFrame({"row": rows, tstart: 0.0, tstop: np.where(split, s, t),
                          event: np.where(split, 0.0, ev), covariate: from_start.astype(int)})
    second = pd.DataFrame({"row": rows[split], tstart: s[split], tstop: t[split], event: ev[split],
                           covariate: 1})
    out = pd.concat([first, second], ignore_index=True).sort_values(["row", tstart], kind="mergesort")
    carried = data.drop(columns=[c for c in (time, event, switch, covariate, tstart, tstop) if c in data.columns])
    carried = carried.reset_index(drop=True)
    out = pd.concat([out.reset_index(drop=True), carried.iloc[out["row"].to_numpy()].reset_index(drop=True)],
                    axis=1)
    out["row"] = data.index.to_numpy()[out["row"].to_numpy()]
    return out


def landmark_frame(data: pd.DataFrame, time: str, event: str, switch: str, landmark: float,
                   covariate: str = "switched") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patients in the landmark analysis, patients left out). In: time > landmark, with ``covariate`` 1
    when the switch is at or before the landmark and ``time`` counted from it. Out: the others, with
    ``reason`` ("event before the landmark" or "censored before the landmark")."""
    t = _values(data, time)
    s = _values(data, switch)
    ev = pd.to_numeric(data[event].astype(float), errors="coerce").to_numpy()
    keep = t > landmark
    d = data.loc[keep].copy()
    d[covariate] = (np.isfinite(s[keep]) & (s[keep] <= landmark)).astype(int)
    d[time] = t[keep] - landmark
    out = data.loc[~keep, []].copy()
    out["reason"] = np.where(ev[~keep] == 1, "event before the landmark", "censored before the landmark")
    return d, out
