"""Firth's logistic regression remembers its penalised-likelihood evaluations (stats/logistic._Penalised):
the same b gives the remembered doubles, read-only."""

from __future__ import annotations

import numpy as np
import pytest


def test_firth_logistic_remembers_evaluations_without_changing_them():
    """stats/logistic._Penalised.full returns what _full computes for the same b (the same doubles), the
    remembered arrays read-only; a fit asks for some b more than once."""
    from oncoseries.stats import logistic

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(40), (rng.random(40) < 0.4).astype(float)])
    y = (rng.random(40) < 0.2).astype(float)
    pen = logistic._Penalised(X, y)
    b = np.array([-1.0, 0.5])
    first = pen.full(b)
    assert pen.full(b.copy()) is first
    fresh = logistic._Penalised(X, y)._full(b)
    assert first[0] == fresh[0] and first[1].tobytes() == fresh[1].tobytes()
    assert first[2].tobytes() == fresh[2].tobytes()
    with pytest.raises(ValueError):
        first[1][0] = 0.0
    calls = []
    counting = logistic._Penalised(X, y)
    real = counting._full
    counting._full = lambda v: calls.append(v.tobytes()) or real(v)
    fit_b, pl, _, _ = counting.maximise(np.zeros(2), np.arange(2))
    assert len(calls) == len(set(calls)) and pl == pen.full(fit_b)[0]
