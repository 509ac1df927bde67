"""RECIST 1.1 time-point response tables (Eisenhauer et al., EJC 2009, Tables 1 and 2).

Target disease (Table 1), first matching row wins:

=========== ======================= ===== =======
target      non-target              new   overall
=========== ======================= ===== =======
PD          any                     any   PD
any         PD                      any   PD
any         any                     yes   PD
NE          non-PD                  no    NE
CR          CR (or none)            no    CR
CR          NON-CR/NON-PD or NE     no    PR
PR          non-PD or NE            no    PR
SD          non-PD or NE            no    SD
=========== ======================= ===== =======

Non-target disease only (Table 2, target ``NA``): CR -> CR, NON-CR/NON-PD -> NON-CR/NON-PD (never
SD), NE -> NE, PD or a new lesion -> PD. No target and no non-target lesion and no new lesion -> NE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CR, PR, SD, NONCRPD, PD, NE, NA, MISSING = "CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "NA", "MISSING"
RESPONSES = (CR, PR, SD, NONCRPD, PD, NE)

_TARGET = {"CR": CR, "PR": PR, "SD": SD, "PD": PD, "NE": NE, "NA": NA}
_NON_TARGET = {"CR": CR, "NON-CR/NON-PD": NONCRPD, "NONCR/NONPD": NONCRPD, "NON-CR/NONPD": NONCRPD,
               "NON-CR-NON-PD": NONCRPD, "PD": PD, "NE": NE, "NA": NA}
_YES = {"Y", "YES", "TRUE", "1", "UNEQUIVOCAL", "PD"}
_NO = {"N", "NO", "FALSE", "0", "EQUIVOCAL", "NA", "NONE"}
_EMPTY = {"", "NAN", "NONE", "<NA>", "NAT"}


def _factor_text(values) -> tuple[np.ndarray, list[str]]:
    """Codes into the upper-cased, stripped unique texts (missing -> ""), computed once per unique."""
    codes, uniq = pd.factorize(pd.Series(values, dtype=object) if not isinstance(values, pd.Series)
                               else values.astype(object), use_na_sentinel=True)
    texts = [str(u).strip().upper() for u in uniq] + [""]
    return np.where(codes < 0, len(uniq), codes), texts


def select_text(conds, choices, default) -> np.ndarray:
    """``np.select(conds, choices, default)`` for text, as an object array whose cells share one string
    per choice (``np.select(...).astype(object)`` makes a string object per cell: 0.3 GB per column
    for a registry's 5*10^6 scans)."""
    names = np.array(list(choices) + [default], dtype=object)
    return names[np.select(conds, np.arange(len(choices)), default=len(choices))]


def normalise_codes(values, name: str, allowed: dict[str, str]) -> np.ndarray:
    """Map response codes case-insensitively; missing -> ``NA``; unknown codes raise ``ValueError``."""
    codes, texts = _factor_text(values)
    mapped = [NA if u in _EMPTY else allowed.get(u.replace(" ", "")) for u in texts]
    bad = sorted({u for u, v in zip(texts, mapped) if v is None})
    if bad:
        raise ValueError(f"{name}: unknown response code(s) {bad[:5]}; expected one of "
                         f"{sorted(set(allowed.values()) - {NA})} or empty")
    return np.asarray(mapped, dtype=object)[codes]


def normalise_new(values, name: str = "new_lesions") -> np.ndarray:
    """New-lesion flag as bool: yes/Y/true/UNEQUIVOCAL -> True; no/equivocal/empty -> False.

    An equivocal new lesion is not PD (RECIST 1.1 new lesions; pharmaverse NEWLPROG EQUIVOCAL).
    """
    if isinstance(values, (pd.Series, np.ndarray)) and pd.api.types.is_bool_dtype(values) \
            and not (isinstance(values, pd.Series) and values.isna().any()):
        return np.asarray(values, dtype=bool)
    codes, texts = _factor_text(values)
    bad = sorted({u for u in texts if u not in _YES and u not in _NO and u not in _EMPTY})
    if bad:
        raise ValueError(f"{name}: unknown new-lesion flag(s) {bad[:5]}; expected yes, no, "
                         "equivocal (or Y/N, true/false, UNEQUIVOCAL/EQUIVOCAL) or empty")
    return np.asarray([u in _YES for u in texts], dtype=bool)[codes]


def overall_response(target, non_target, new_lesions) -> np.ndarray:
    """Time-point overall response from its components (RECIST 1.1 Tables 1 and 2), vectorised.

    Parameters
    ----------
    target : array-like of str
        ``CR``, ``PR``, ``SD``, ``PD``, ``NE``, or empty/``NA`` when the patient has no target lesion.
    non_target : array-like of str
        ``CR``, ``NON-CR/NON-PD``, ``PD``, ``NE``, or empty/``NA`` when there is no non-target lesion.
    new_lesions : array-like of bool or str
        True/yes/``UNEQUIVOCAL`` for an unequivocal new lesion; ``EQUIVOCAL`` counts as no new lesion.

    Returns
    -------
    numpy.ndarray of str (object dtype): ``CR``, ``PR``, ``SD``, ``NON-CR/NON-PD``, ``PD`` or ``NE``.
    """
    t = normalise_codes(target, "target", _TARGET)
    nt = normalise_codes(non_target, "non_target", _NON_TARGET)
    new = normalise_new(new_lesions)
    if not (len(t) == len(nt) == len(new)):
        raise ValueError("target, non_target and new_lesions must have the same length "
                         f"(got {len(t)}, {len(nt)}, {len(new)})")
    pd_any = (t == PD) | (nt == PD) | new
    no_target = t == NA
    conds = [
        pd_any,
        no_target & (nt == CR),
        no_target & (nt == NONCRPD),
        no_target,                      # non-target NE, or no disease at all
        t == NE,
        (t == CR) & ((nt == CR) | (nt == NA)),
        (t == CR) | (t == PR),          # CR with NON-CR/NON-PD or NE non-targets -> PR
        t == SD,
    ]
    choices = [PD, CR, NONCRPD, NE, NE, CR, PR, SD]
    return select_text(conds, choices, NE)
