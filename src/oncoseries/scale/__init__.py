"""Registry scale: the Dask engine for the survival statistics and the analysis (docs/scale.md).

``osr.kaplan_meier``, ``osr.logrank``, ``osr.logrank_trend``, ``osr.rmst``, ``osr.median_followup`` and
``osr.cox`` accept a ``dask.dataframe.DataFrame``: the data stay on the workers, which send back per-
partition sufficient statistics (counts per distinct time for the curves and tests; per Newton step,
sums per distinct time for Cox). Nothing here imports dask unless the caller already did.
"""
