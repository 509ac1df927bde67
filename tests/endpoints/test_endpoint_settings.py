"""EndpointSettings: defaults, the study.yaml ``pfs:`` block, and clear errors."""

from __future__ import annotations

import pytest

from oncoseries.endpoints import EndpointSettings, MissedAssessments


def test_defaults_follow_interface():
    s = EndpointSettings()
    assert s.censor_at_new_therapy is True and s.missed_assessments is None


@pytest.mark.parametrize("value", [(63, 2), [63, 2], {"interval_days": 63, "max_missed": 2},
                                   {"interval_days": 63}, MissedAssessments(63, 2), (63.0, 2.0)])
def test_missed_assessments_forms(value):
    m = EndpointSettings(missed_assessments=value).missed_assessments
    assert (m.interval_days, m.max_missed, m.window_days) == (63, 2, 126)
    assert isinstance(m.interval_days, int)


def test_from_plan():
    s = EndpointSettings.from_plan({"censor_at_new_therapy": False,
                                    "missed_assessments": {"interval_days": 42, "max_missed": 3}})
    assert s.censor_at_new_therapy is False and s.missed_assessments.window_days == 126
    assert EndpointSettings.from_plan(None) == EndpointSettings()
    assert EndpointSettings.from_plan({"missed_assessments": None}) == EndpointSettings()


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"censor_at_new_therapy": "yes"}, TypeError, "censor_at_new_therapy"),
    ({"missed_assessments": (0, 2)}, ValueError, "interval_days"),
    ({"missed_assessments": (63, 1.5)}, TypeError, "max_missed"),
    ({"missed_assessments": {"interval": 63}}, ValueError, "interval_days"),
    ({"missed_assessments": 63}, TypeError, "missed_assessments"),
    ({"missed_assessments": (True, 2)}, TypeError, "interval_days"),
])
def test_bad_settings(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        EndpointSettings(**kwargs)


def test_from_plan_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown keys"):
        EndpointSettings.from_plan({"censor_at_new_treatment": True})
    with pytest.raises(TypeError, match="mapping"):
        EndpointSettings.from_plan([1, 2])
