"""Survival and response statistics, equal to R's survival package (see docs/statistics.md).

Each function lives in its own module (kaplan_meier, logrank, rmst, cox, cox_zph, firth, binomial) and
is re-exported lazily from ``oncoseries``.
"""
