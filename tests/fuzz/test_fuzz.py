"""Property test (issue 9): mutated copies of the bundled studies (tests/fuzz/mutate.py) always end in a
usable study analysed to the end, or in errors naming file, row and column; never an internal error.
Every planted bad cell is reported; nothing is dropped unless a shown error on its cell explains it;
patients in = analysed + excluded per population.

CI runs a bounded, derandomised number of examples; the long run is tests/fuzz/run_fuzz.py
(docs/validation.md, "Fuzzing"). ONCOSERIES_FUZZ_EXAMPLES sets the count here too."""

from __future__ import annotations

import os
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutate import run_one

EXAMPLES = int(os.environ.get("ONCOSERIES_FUZZ_EXAMPLES", "60"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rnd=st.randoms(use_true_random=False))
def test_mutated_studies_fail_cleanly_or_finish(rnd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, broken = run_one(rnd)
    assert not broken, f"{m.base}: {m.log}\n" + "\n".join(broken)
