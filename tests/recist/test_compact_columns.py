"""Compact text columns in the RECIST derivation (recist/_encode.Coded): the lesion ids, organs and state
texts held as small integer codes, and the derived lesion table's text columns as categoricals, give the
same tables and warnings as the object arrays they replace (the ``Coded`` fallback keeps the object
arrays: it is the former behaviour), on random lesion tables with split lesions, unknown patients,
missing organs and states, and lesion ids that are not text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.recist import RecistSettings, derive_responses
from oncoseries.recist import _encode
from oncoseries.recist._encode import Coded
from oncoseries.study import compact_text

STATES = ["present", "absent", "too_small", "not_evaluated", "unequivocal_progression", "equivocal", None]


def _random_study(rng: np.random.Generator, n_pat: int):
    start = pd.Timestamp("2021-03-01")
    pids = [f"P{i:03d}" for i in range(n_pat)]
    patients = pd.DataFrame({"patient_id": pids,
                             "start_date": [start + pd.Timedelta(days=int(d)) for d in rng.integers(0, 30, n_pat)],
                             "new_therapy_date": pd.NaT, "last_contact_date": start + pd.Timedelta(days=900)})
    rows = []
    for pid, s0 in zip(pids + ["stranger"], list(patients["start_date"]) + [start]):
        n_les = int(rng.integers(1, 6))
        for day in [-int(rng.integers(0, 20))] + sorted(rng.choice(np.arange(20, 400), size=int(rng.integers(0, 5)),
                                                                  replace=False).tolist()):
            for k in range(n_les + int(rng.random() < 0.3)):
                role = "target" if k < 2 else str(rng.choice(["target", "non_target", "new"]))
                for _ in range(1 + int(rng.random() < 0.1)):        # a split lesion: two fragments
                    rows.append({"patient_id": pid, "date": s0 + pd.Timedelta(days=int(day)), "lesion_id": f"L{k}",
                                 "role": role, "organ": rng.choice(["lung", "liver", "bone", None]),
                                 "nodal": bool(rng.random() < 0.2),
                                 "diameter_mm": None if rng.random() < 0.1 else float(rng.integers(0, 60)),
                                 "state": STATES[int(rng.integers(0, len(STATES)))]})
    les = pd.DataFrame(rows)
    les.insert(0, "_row", np.arange(len(les)) + 2)
    return patients, les


def _plain(monkeypatch):
    monkeypatch.setattr(_encode.Coded, "from_factorized",
                        classmethod(lambda cls, codes, uniq, values: cls(None, values)))


def _objects(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


@pytest.mark.parametrize("criteria", ["recist1.1", "irecist"])
@pytest.mark.parametrize("typed_categorical", [False, True])
def test_compact_columns_give_the_same_tables_and_warnings(monkeypatch, criteria, typed_categorical):
    """Also from typed lesions whose texts are categoricals (study.compact_text, as load_study gives them)."""
    rng = np.random.default_rng(17)
    settings = RecistSettings(criteria=criteria)
    for _ in range(25):
        patients, les = _random_study(rng, int(rng.integers(1, 12)))
        if rng.random() < 0.3:
            les = les.drop(columns=["organ"] if rng.random() < 0.5 else ["state"])
        given = les
        if typed_categorical:
            given = les.copy()
            for c in ("role", "state", "organ", "lesion_id"):
                if c in given.columns:
                    given[c] = compact_text(given[c])
            assert isinstance(given["role"].dtype, pd.CategoricalDtype)
        compact = derive_responses(patients, given, settings=settings)
        with monkeypatch.context() as m:
            _plain(m)
            plain = derive_responses(patients, les, settings=settings)
        table = compact.lesion_table
        assert all(isinstance(table[c].dtype, pd.CategoricalDtype)
                   for c in ("patient_id", "lesion_id", "role", "organ", "state"))
        pd.testing.assert_frame_equal(_objects(table), _objects(plain.lesion_table))
        pd.testing.assert_frame_equal(compact.timepoints, plain.timepoints)
        pd.testing.assert_frame_equal(compact.best_response, plain.best_response)
        pd.testing.assert_frame_equal(compact.population, plain.population)
        assert compact.warnings == plain.warnings
        assert table.to_csv(index=False) == plain.lesion_table.to_csv(index=False)


def test_ids_that_are_not_text_stay_as_given():
    patients, les = _random_study(np.random.default_rng(3), 4)
    les["lesion_id"] = les["lesion_id"].str[1:].astype(int).astype(object)
    les.loc[les.index[::2], "lesion_id"] = les.loc[les.index[::2], "lesion_id"].astype(float)   # 1 and 1.0
    table = derive_responses(patients, les).lesion_table
    assert table["lesion_id"].dtype == object
    assert {type(v) for v in table["lesion_id"]} <= {int, float}


def test_coded_indexing_and_small_codes():
    c = Coded.of(pd.Series(["b", None, "a", "b"], dtype=object))
    assert c.codes.dtype == np.int8 and list(c[np.arange(4)]) == ["b", None, "a", "b"]
    assert list(c.take(np.array([3, 1])).column().astype(object)) == ["b", np.nan]
    many = Coded.of([f"x{i}" for i in range(300)])
    assert many.codes.dtype == np.int16 and many[299] == "x299"
