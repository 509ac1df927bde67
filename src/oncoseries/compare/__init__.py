"""Comparison of a series with published results (docs/historical-control.md): reference curves, one-sample
tests, reconstruction of patient data from a published Kaplan-Meier curve (Guyot et al. 2012) and digitising
a curve from an image."""

from .one_sample import binomial_test, one_sample_logrank
from .reference import reference_curve

__all__ = ["binomial_test", "one_sample_logrank", "reference_curve"]
