"""iPFS events from iRECIST time-point responses (Seymour et al., Lancet Oncol 2017; docs/endpoints.md).

An iUPD opens an episode that lasts through iUPD/NE scans until it is confirmed (iCPD) or reset (iCR,
iPR, iSD, NON-iCR/NON-iUPD). The iPFS event is the date of the iUPD that opened the first episode that is
confirmed or still open at the patient's last scan (never reset; *choice*: an unconfirmed iUPD without a
later assessment counts as progression, as admiralonco's IUPD parameter "iUPD followed only by iUPD or
NE"). A reset episode is no event. Adequate assessments are the scans whose iRECIST response is not NE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

I_VALUES = {"ICR": 0, "IPR": 0, "ISD": 0, "NON-ICR/NON-IUPD": 0, "IUPD": 1, "ICPD": 2, "NE": -1}


def ipfs_flags(code: np.ndarray, date: np.ndarray, i_overall: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per scan (input order): is it the iPFS event scan; is it an adequate assessment."""
    text = i_overall.astype("string").str.strip().str.upper().str.replace(" ", "", regex=False)
    bad = sorted(set(text.dropna()) - set(I_VALUES))
    if bad:
        raise ValueError(f"timepoints.i_overall: unknown value(s) {bad[:5]}; expected iCR, iPR, iSD, "
                         "NON-iCR/NON-iUPD, iUPD, iCPD or NE")
    val = text.map(I_VALUES).fillna(-1).to_numpy(dtype=np.int64)
    n = len(code)
    event = np.zeros(n, dtype=bool)
    adequate = val >= 0
    if n == 0:
        return event, adequate
    order = np.lexsort((date, code))
    c, v = code[order], val[order]
    first = np.ones(n, dtype=bool)
    first[1:] = c[1:] != c[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = c[1:] != c[:-1]
    # in an episode: iUPD/iCPD, or NE following one (forward fill within the patient)
    st = pd.Series(np.where(v >= 1, 1.0, np.where(v == 0, 0.0, np.nan)))
    gid = np.cumsum(first)
    in_ep = st.groupby(gid).ffill().fillna(0).to_numpy() > 0
    prev_in = np.zeros(n, dtype=bool)
    prev_in[1:] = in_ep[:-1] & ~first[1:]
    opens = in_ep & ~prev_in
    ep = np.cumsum(opens)
    ep_id = np.where(in_ep, ep, 0)
    n_ep = int(ep.max()) + 1
    confirmed = np.zeros(n_ep, dtype=bool)
    confirmed[ep_id[v == 2]] = True
    still_open = np.zeros(n_ep, dtype=bool)
    still_open[ep_id[last & in_ep]] = True
    qualifies = opens & (confirmed | still_open)[ep_id]
    # only the first qualifying episode of each patient is the event (earlier date wins anyway)
    event[order] = qualifies
    return event, adequate
