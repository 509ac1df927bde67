"""Study -> Results: RECIST responses, endpoints, survival, Cox models, descriptive tables.

Every number the report shows is computed here, once, and stored in Results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..endpoints import derive_endpoints
from ..problems import Problem
from ..recist import derive_responses
from ..scale import derive as scale_derive
from ..study import Study
from ..timings import lap
from .biomarkers import MIN_MUTATION_CARRIERS  # noqa: F401  (its former home)
from .biomarkers import biomarker_section, recurrent_genes, sequenced_patients
from .descriptive import exposure, table1
from .plan import ENDPOINT_NAMES, ENDPOINTS, Plan, make_plan, usable_covariate
from .regression import fit_model_and_fit, univariable_p
from .survival import EVENT, by_covariate, endpoint_frame, followup, summarise_endpoint
from . import time_dependent as td
from .labels import apply_labels
from .patient_codes import codes_for
from . import cox_extras as cx
from . import response_claims as rc
from .table1_by import table1_by
from .run_memory import adverse_event_sections, endpoint_inputs, known_alive


def analysis_covariates(study: Study) -> pd.DataFrame:
    """Patients with their covariates, biomarkers and per-gene mutation flags (genes with at least
    MIN_MUTATION_CARRIERS carriers; missing for a patient known not to be sequenced, see
    biomarkers.sequenced_patients), as one frame; covariate names are returned with it."""
    p = study.patients.copy()
    extra: list[str] = []
    if study.biomarkers is not None:
        b = study.biomarkers.drop(columns=[c for c in study.biomarkers.columns if c.startswith("_")])
        b = b.drop_duplicates("patient_id")
        clash = [c for c in b.columns if c in p.columns and c != "patient_id"]
        b = b.rename(columns={c: f"biomarker_{c}" for c in clash})
        p = p.merge(b, on="patient_id", how="left")
        extra += [c for c in b.columns if c != "patient_id"]
    if study.mutations is not None:   # on integer patient codes: p has the patients rows, in order
        pc = codes_for(study)
        pcode = pc.table(study.patients)
        seq = sequenced_patients(study)
        known = pc.members(pc.of_known(seq))[pcode] if seq is not None else np.ones(len(p), bool)
        mcode = pc.table(study.mutations)
        gene_code, gene_names = pd.factorize(study.mutations["gene"])
        where = {g: i for i, g in enumerate(gene_names)}
        for gene in recurrent_genes(study):
            carrier = pc.members(mcode[gene_code == where[gene]])[pcode]
            col = f"{gene}_mutated"
            p[col] = np.where(carrier, "yes", np.where(known, "no", None))
            extra.append(col)
    return p, study.covariates + extra


def _warnings_as_problems(study: Study, recist, endpoints) -> list[Problem]:
    out = []
    prow = dict(zip(study.patients["patient_id"], study.patients["_row"]))
    for w in recist.warnings:
        out.append(Problem("warning", study.files.get("lesions", "lesions"), getattr(w, "row", None),
                           "lesion_id", f"patient {w.patient_id}, lesion {w.lesion_id}: {w.message}",
                           None, "recist", str(w.patient_id)))
    for w in endpoints.warnings:
        out.append(Problem("warning", study.files.get("patients", "patients"), prow.get(w.patient_id),
                           w.column, f"patient {w.patient_id} ({w.paramcd}): {w.message}", None, "endpoint",
                           str(w.patient_id)))
    return out


def _response_flow(flow, ids, pop: pd.DataFrame, is_treated: np.ndarray, population: str) -> None:
    """Flow population ``response_disease``: treated patients with target or non-target disease at
    baseline (measurable or not); they all get a best overall response."""
    disease = pop["baseline_disease"].fillna(False).to_numpy(bool) & is_treated
    why = pop["reason"].fillna("not evaluable").to_numpy(object)
    why = np.where(pop["baseline_disease"].fillna(False).to_numpy(bool), None, why)
    flow.set("response_disease", ids, disease, np.where(is_treated, why, "not treated"))
    if "response_evaluable" in flow.parts:   # listed before the response population (summary, CLI)
        flow.parts = _before(flow.parts, "response_disease", "response_evaluable")
    if population == "all":
        flow.labels["response_evaluable"] = "Evaluable for response (any disease at baseline)"


def _before(parts: dict, key: str, anchor: str) -> dict:
    """The dict with ``key`` moved just before ``anchor``."""
    out = {}
    for k, v in parts.items():
        if k == anchor:
            out[key] = parts[key]
        if k != key:
            out[k] = v
    return out


def _population_sizes(best_all: pd.DataFrame, flow, plan: Plan) -> dict:
    """Sizes of both response populations (measurable disease; any disease at baseline)."""
    meas = best_all["measurable"]
    known = meas.notna().to_numpy(bool)
    n_meas = int(meas[known].astype(bool).sum())
    return {"population": plan.recist.population, "any_disease_n": int(len(best_all)),
            "measurable_n": n_meas if known.all() else None,
            "non_measurable_n": int(len(best_all) - n_meas) if known.all() else None,
            "no_disease_n": int((~flow.parts["response_disease"]["included"]).sum()
                                - (~flow.parts["all_treated"]["included"]).sum())}


def _response_section(recist, best: pd.DataFrame, plan: Plan, n_evaluable: int,
                      sizes: dict | None = None, best_all: pd.DataFrame | None = None) -> dict:
    """Response summaries of the response population (and of every patient with disease at baseline when
    the population is the measurable one and some patients have non-measurable disease only)."""
    def rows(column):
        s = best
        from ..recist import response_summary
        table = response_summary(s, n_population=n_evaluable, column=column) if len(s) else None
        return [] if table is None else [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                                          for r in table.to_dict("records")]
    headline = "confirmed_bor" if plan.recist.confirmation else "bor"
    any_disease = None
    if sizes and sizes.get("population") == "measurable" and sizes.get("non_measurable_n"):
        def rows_all(column):
            table = response_summary(best_all, column=column)
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                    for r in table.to_dict("records")]
        from ..recist import response_summary
        any_disease = {"n": int(len(best_all)), "unconfirmed": rows_all("bor"),
                       "confirmed": rows_all("confirmed_bor")}
    ttr = best.loc[best["first_response_date"].notna(), "time_to_response_days"] if len(best) else pd.Series([])
    out = {"population_n": n_evaluable, "populations": sizes, "any_disease": any_disease, "headline": headline,
           "method": "Clopper-Pearson exact 95% CI",
           "unconfirmed": rows("bor"), "confirmed": rows("confirmed_bor"),
           "time_to_response": None if ttr.empty else {
               "median": float(ttr.median()) / plan.days_per_unit, "min": float(ttr.min()) / plan.days_per_unit,
               "max": float(ttr.max()) / plan.days_per_unit, "n": int(ttr.size)},
           "concordance": None}
    if best_all is not None and "ibor" in best_all.columns:
        from ..recist.irecist import ibor_summary

        ib = best[["patient_id", "ibor"]]
        out["irecist"] = {"n": int(len(ib)), "criteria": "iRECIST (Seymour et al., Lancet Oncol 2017)",
                          "ibor": [] if ib.empty else [
                              {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                              for r in ibor_summary(ib).to_dict("records")]}
    if recist.concordance is not None:
        c = recist.concordance

        def crosstab(tab: pd.DataFrame) -> dict:
            return {"rows": [str(i) for i in tab.index], "columns": [str(j) for j in tab.columns],
                    "counts": tab.to_numpy().astype(int).tolist(), "row_label": "derived (RECIST 1.1)",
                    "column_label": "investigator"}

        out["concordance"] = {"scans_matched": int(c.n_matched), "scans_agree": int(c.n_agree),
                              "agreement": float(c.agreement), "kappa": float(c.kappa),
                              "scan_table": crosstab(c.table), "bor_table": crosstab(c.bor_table),
                              "bor_agreement": float(c.bor_agreement)}
    return out


def run_analysis(study: Study):
    from .results import Results

    frame, covariates = analysis_covariates(study)
    study.labels = {**study.labels, **apply_labels(frame, study.config.labels)}  # study.yaml labels: win
    plan = make_plan(study.config, covariates)
    flow = study.flow
    treated = set(flow.included("all_treated"))
    treated_ids = pd.Index(list(treated), dtype=object)   # isin() of a set converts it to an array each call
    if scale_derive.active():  # --dask: per block of patients on the cluster (scale/derive.py)
        recist, endpoints = scale_derive.derive_patient_level(study, plan, treated)
        lap("RECIST and endpoints (Dask)")
    else:
        recist = derive_responses(study.patients, study.lesions, study.assessments, plan.recist,
                                  release=lambda: study.release("lesions"))   # freed once encoded
        lap("RECIST")
    study.release("lesions")   # only a Study the command line owns (study.py): not used after RECIST
    pop = recist.population.set_index("patient_id").reindex(study.patients["patient_id"])
    ids = study.patients["patient_id"].to_numpy(dtype=object)
    is_treated = study.patients["patient_id"].isin(treated_ids).to_numpy()  # hashed; np.isin on objects is O(n*m)
    evaluable = pop["evaluable"].fillna(False).to_numpy(bool) & is_treated
    reasons = np.where(is_treated, pop["reason"].fillna("not evaluable").to_numpy(object), "not treated")
    _response_flow(flow, ids, pop, is_treated, plan.recist.population)
    flow.set("response_evaluable", ids, evaluable, reasons)
    best_all = recist.best_response[recist.best_response["patient_id"].isin(treated_ids)]
    best = best_all[best_all["response_population"].astype(bool)]
    if not scale_derive.active():
        endpoints = derive_endpoints(*endpoint_inputs(study, recist.timepoints, is_treated, treated_ids), best,
                                     plan.endpoints, known_alive=known_alive(study.treatments))
        lap("endpoints")
    adtte = endpoints.adtte
    # clinical benefit by the PFS rule (response_claims): cannot contradict PFS
    best_all = best_all.assign(durable_control=rc.pfs_benefit(best_all, adtte, plan.recist.clinical_benefit_days))
    best = best_all[best_all["response_population"].astype(bool)]
    responders = set(adtte.loc[adtte["paramcd"] == "DOR", "patient_id"])
    flow.set("DOR", ids, study.patients["patient_id"].isin(responders).to_numpy(),
             np.where(is_treated, "not a responder (no CR or PR)", "not treated"))
    pc = codes_for(study)   # integer patient codes of the study's tables, once (analysis/patient_codes.py)
    ae_sections = adverse_event_sections(study, treated, pc)   # then the 10^7 adverse events are freed
    from .. import hooks   # the derived tables exist: listeners (the figure worker) may start now
    if hooks.listening():   # the derived tables' ids as codes, before any fork: the figures' preparer
        for name, table in (("timepoints", recist.timepoints), ("best_response", best_all), ("adtte", adtte)):
            pc.add(name, table)   # selects its patients' rows by code (report/patient_rows.py)
    early = Results(study=study, plan=plan, derived={
        "timepoints": recist.timepoints, "best_response": best_all, "adtte": adtte,
        "lesions": recist.lesion_table,   # and the dosing cycles (exist now; the early writer writes them)
        **({"cycles": ae_sections["cycles"]} if ae_sections["cycles"] is not None else {})},
        sections={"response": {
            "headline": "confirmed_bor" if plan.recist.confirmation else "bor"}})
    hooks.notify("derived", results=early)            # the early writer forks, the lesion table is dropped
    hooks.notify("derived_released", results=early)   # then the figures' preparer forks (without it)
    early = None
    response = _response_section(recist, best, plan, len(flow.included("response_evaluable")),
                                 _population_sizes(best_all, flow, plan), best_all)
    design = _design_beside(study, adtte, plan.days_per_unit, response)   # a forked child (beside.py)

    scale = plan.days_per_unit
    survival, curves, logranks, models, changes = {}, {}, [], [], []
    planned = {c for ep in ("PFS", "OS") for c in plan.cox.get(ep, [])}
    td_specs = td.specs(study.config, frame, planned)
    units = {k: v.unit for k, v in study.config.labels.items() if v.unit}
    for ep in ENDPOINTS:
        if not (adtte["paramcd"] == ep).any():
            continue
        df = endpoint_frame(adtte, ep, frame)
        summary, km = summarise_endpoint(df, plan.landmarks.get(ep, []), scale)
        summary["name"] = ENDPOINT_NAMES[ep]
        if ep == "OS":
            summary["followup"] = followup(df, scale)
        survival[ep] = summary
        curves[(ep, None)] = km
        if ep not in ("PFS", "OS"):
            continue
        for cov in cx.univariable_covariates(plan.cox.get(ep, []), covariates, study.config.regression.screen):
            why = usable_covariate(df[cov]) if cov in df.columns else "not a column of patients"
            if why:
                models.append({"endpoint": ep, "model": "univariable", "covariates": [cov], "skipped": why})
                continue
            if cov in plan.cox.get(ep, []) and (not pd.api.types.is_numeric_dtype(df[cov])
                                                or df[cov].nunique() <= 5):
                res = by_covariate(df, cov, scale)
                if res is not None:
                    logranks.append({"endpoint": ep, **res[0]})
                    curves[(ep, cov)] = res[1]
            if int(df[EVENT].sum()) >= 2:
                m, fit = fit_model_and_fit(df, ep, [cov], "univariable")
                models.append(cx.enrich(m, df, study.config, units, fit))
        for cov, spec in td_specs.items():
            res, sm = td.analyse(df, ep, cov, spec, scale)
            changes.append(res)
            if sm is not None:
                curves[(ep, f"{cov} (time-dependent)")] = sm
        multi = _multivariable_covariates(plan, ep, models)
        if len(multi) >= 2:
            m, fit = fit_model_and_fit(df, ep, multi, "multivariable")
            models.append(cx.enrich(m, df, study.config, units, fit))
    df = fit = None   # the last endpoint's wide frame and Cox fit: not held through the rest of the stage
    sections = {
        "plan": plan.config.model_dump(mode="json", exclude={"redcap"}),
        "response": response,
        "survival": survival,
        "logrank": logranks,
        "cox": models,
        "table1": table1(frame[frame["patient_id"].isin(treated_ids)], covariates),
        "regression": cx.regression_section(study.config, models),
        "exposure": exposure(study.treatments, study.patients, pc),
        "adverse_events": ae_sections["adverse_events"],
        "biomarkers": biomarker_section(study, frame, best, adtte, treated, plan),
    }
    if changes:
        sections["time_dependent"] = changes
    by = study.config.table1.by
    if by and by in frame.columns:
        sections["table1_by"] = table1_by(frame[frame["patient_id"].isin(treated_ids)], covariates, by)
        sections["table1_by"]["p_values"] = study.config.table1.p_values
    resp = sections["response"]
    resp.update(rc.claims(resp, best, plan.recist.clinical_benefit_days, resp["headline"]))
    sections["dosing"], cycles = ae_sections["dosing"], ae_sections["cycles"]
    sections["toxicity"] = ae_sections["toxicity"]
    if design is not None:   # study.yaml design: (docs/trial-design.md)
        sections["design"] = design.result()
    derived = {"timepoints": recist.timepoints, "best_response": best_all, "adtte": adtte,
               "lesions": recist.lesion_table}
    if cycles is not None:
        derived["cycles"] = cycles
    hist_problems = []
    if study.config.historical_controls:   # published results to compare with (analysis/historical.py)
        from .historical import historical_section
        sections["historical_controls"], hist_problems, hist_ipd = historical_section(
            study, adtte, frame, sections["response"], scale)
        if hist_ipd is not None:
            derived["historical_ipd"] = hist_ipd
    problems = list(study.problems) + _warnings_as_problems(study, recist, endpoints) + hist_problems
    problems += td.warnings_for(planned if not plan.cox_is_default else set(), td_specs,
                                study.files.get("patients", "patients"))
    lap("statistics")
    return Results(study=study, plan=plan, sections=sections, derived=derived, curves=curves, problems=problems)


#: a larger ADTTE (a registry) computes the design here: it is a small share of that run's time
BESIDE_MAX_ROWS = 200_000


def _design_beside(study: Study, adtte: pd.DataFrame, scale: float, response: dict):
    """The trial-design section (study.yaml ``design:``), started beside the statistics: it reads only the
    ADTTE and the response rates (analysis/beside.py); None without ``design:``."""
    if study.config.design is None:
        return None
    from .beside import beside
    from .trial_design import design_section

    return beside(design_section, study.config.design, adtte, scale, response,
                  fork=len(adtte) <= BESIDE_MAX_ROWS)   # not a fork of a registry's multi-GB process


def _multivariable_covariates(plan: Plan, ep: str, models: list[dict]) -> list[str]:
    """Planned covariates together (study.yaml), or on request those with univariable p < 0.10."""
    if not plan.multivariable:
        return []
    fitted = [m for m in models if m["endpoint"] == ep and m["model"] == "univariable" and "skipped" not in m]
    if not plan.cox_is_default:      # the planned covariates (screened ones stay univariable)
        return [m["covariates"][0] for m in fitted if m["covariates"][0] in plan.cox.get(ep, [])]
    return [m["covariates"][0] for m in fitted if univariable_p(m) < 0.10 and not m["separation"]]
