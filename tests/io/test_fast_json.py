"""io/fast_json.dumps_indent2 writes what json.dumps(indent=2) writes, on random documents."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from oncoseries.io.fast_json import dumps_indent2

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(), st.sampled_from(["é", "\u2028", "a\"b\\c", "\x00", "😀"]))
docs = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=6), st.tuples(c, c),
                                                   st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), c,
                                                                   max_size=5)), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(docs)
def test_same_text_as_json_dumps(doc):
    assert dumps_indent2(doc) == json.dumps(doc, indent=2)


def test_long_lists_and_results_shape():
    doc = {"cox": [{"excluded": [f"P{i:07d}" for i in range(5000)], "hr": 1.25, "p": None, "n": 3, "ok": True}],
           "empty": {}, "none": [], "mixed": [1, "a", 2.5, None, [True, {}]], "big": 10 ** 30, "neg0": -0.0}
    assert dumps_indent2(doc) == json.dumps(doc, indent=2)
