"""What the API and the pages share: create a study from uploads, check a plan, start a run.

A study's own study.yaml is kept as uploaded; the plan form saves overrides (``studies.plan_json``) and a
run may add more (the JSON body of ``POST /api/studies/{id}/runs``). The run's study.yaml is the deep
merge of the three, checked with the same model as the command line (oncoseries.config.StudyConfig).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__
from .db import Blob, RunRow, StudyFile, StudyRow, audit, new_id
from .store import BlobStore, Upload

log = logging.getLogger("oncoseries.web")


class PlanError(ValueError):
    """Overrides that do not make a valid study.yaml; ``.problems`` lists them (key: message)."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("; ".join(f"{p['column']}: {p['message']}" for p in problems))


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` wins; nested mappings are merged key by key; lists and values replace."""
    out = dict(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _looks_like_dictionary(data: bytes) -> bool:
    head = data[:400].decode("utf-8-sig", errors="replace").lower().lstrip()
    return head.startswith(("variable / field name", '"variable / field name"', "field_name", '"field_name"'))


def own_yaml(files: list[Upload]) -> dict:
    """The uploaded study.yaml as a mapping ({} when absent or not a mapping; its errors show at validation)."""
    for f in files:
        if f.name == "study.yaml":
            try:
                data = yaml.safe_load(f.data.decode("utf-8-sig"))
            except (yaml.YAMLError, UnicodeDecodeError):
                return {}
            return _json_safe_keys(data) if isinstance(data, dict) else {}
    return {}


def _json_safe_keys(value):
    """Mapping keys as YAML meant them once stored as JSON: YAML reads ``yes:``/``no:`` keys as booleans, which
    JSON would turn into "true"/"false"; they become "Yes"/"No" (config._text's rule), numbers their text."""
    from ..config import _text

    if isinstance(value, dict):
        return {(k if isinstance(k, str) else _text(k)): _json_safe_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe_keys(v) for v in value]
    return value


def extra_yaml(files: list[Upload]) -> dict[str, str]:
    """A REDCap export (a data dictionary among the files) with no ``redcap:`` in study.yaml gets
    ``redcap: {}`` (records and dictionary found by their headers, docs/redcap.md)."""
    if not any(f.name.endswith(".csv") and _looks_like_dictionary(f.data) for f in files):
        return {}
    own = own_yaml(files)
    if "redcap" in own:
        return {}
    return {"study.yaml": yaml.safe_dump(deep_merge(own, {"redcap": {}}), sort_keys=False)}


def describe_covariates(study) -> list[dict]:
    """Covariates offered by the plan form: name, display label, kind and (categorical) levels, the reference
    first (study.yaml ``labels:`` order/reference, else sorted as R does)."""
    from ..analysis.run import analysis_covariates

    try:
        frame, names = analysis_covariates(study)
    except Exception:  # the offer is a convenience; validation already ran
        frame, names = study.patients, study.covariates
    from ..analysis.labels import display_name, relevel

    labels = study.config.labels
    out = []
    for name in names:
        if name not in frame.columns:
            continue
        col = frame[name]
        if name in labels:  # grouped, relabelled, ordered as the analysis will see it
            col = relevel(col, labels[name])
        shown = display_name(name, labels[name]) if name in labels else None
        if isinstance(col.dtype, pd.CategoricalDtype):  # the order's first level is the reference
            present = set(col.dropna())
            out.append({"name": name, "kind": "categorical", "label": shown,
                        "levels": [str(c) for c in col.cat.categories if c in present][:30]})
            continue
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        values = col.dropna().unique()
        if numeric:
            levels = [f"{v:g}" for v in sorted(values)] if len(values) <= 5 else []
        else:
            levels = sorted(str(v) for v in values)
        out.append({"name": name, "kind": "numeric" if numeric else "categorical", "label": shown,
                    "levels": levels[:30]})
    return out


def validate_files(store: BlobStore, files: list[tuple[str, str]], folder: Path, extra: dict[str, str]):
    """Lay out the study and run the checks of `oncoseries validate`."""
    from ..study import validate_study

    path = store.layout(files, folder, extra)
    return validate_study(path)


def problem_dicts(report) -> list[dict]:
    """Every problem, errors first (then file, row), as the API returns them."""
    probs = sorted(report.problems, key=lambda p: (p.severity != "error", p.file or "", p.row or 0))
    return [{"severity": p.severity, "file": p.file, "row": p.row, "column": p.column, "message": p.message,
             "expected": p.expected} for p in probs]


def create_study(session, store: BlobStore, work: Path, uploads: list[Upload], owner: str,
                 title: str | None = None) -> StudyRow:
    """Store the files by hash, validate, record the study (and an audit row)."""
    digests = []
    for f in uploads:
        digest = store.put(f.data)
        if session.get(Blob, digest) is None:
            session.add(Blob(sha256=digest, size=len(f.data)))
        digests.append((f.name, digest))
    sid = new_id()
    extra = extra_yaml(uploads)
    report = validate_files(store, digests, work / "studies" / sid, extra)
    study = report.study
    cfg_title = study.config.title if study is not None else None
    meta = {"extra": extra, "describe": study.describe() if study is not None else "",
            "covariates": describe_covariates(study) if study is not None else [],
            "flow": (json.loads(study.flow.summary().to_json(orient="records"))
                     if study is not None and study.flow is not None else []),
            "own_yaml": own_yaml(uploads), "files": sorted(n for n, _ in digests)}
    row = StudyRow(id=sid, title=(title or cfg_title or "Untitled study")[:300], owner=owner,
                   source=(study.source if study is not None else "unreadable")[:60],
                   patients=len(study.patients) if study is not None else 0, valid=bool(report.usable),
                   problems_json=json.dumps(problem_dicts(report)), meta_json=json.dumps(meta), plan_json="{}")
    session.add(row)
    session.flush()
    for name, digest in digests:
        session.add(StudyFile(study_id=sid, name=name, sha256=digest))
    audit(session, owner, "study created", sid, None,
          f"{len(digests)} file(s): " + ", ".join(f"{n} sha256:{d[:12]}" for n, d in digests))
    log.info("study %s created: %d file(s), valid=%s", sid, len(digests), report.usable)
    return row


def _label_mappings(plan: dict) -> dict:
    """``labels: {x: "Text"}`` written as ``{x: {label: "Text"}}``, so a saved reference merges into it."""
    labels = plan.get("labels")
    if not isinstance(labels, dict):
        return plan
    return {**plan, "labels": {k: ({"label": v} if isinstance(v, str) else v) for k, v in labels.items()}}


def effective_plan(study: StudyRow, overrides: dict | None) -> dict:
    """The study.yaml a run uses: own study.yaml <- saved plan <- this run's overrides; checked."""
    from pydantic import ValidationError

    from ..config import StudyConfig

    meta = study.meta
    own = meta.get("own_yaml") or {}
    if meta.get("extra", {}).get("study.yaml"):
        own = yaml.safe_load(meta["extra"]["study.yaml"]) or {}
    if "redcap" in (overrides or {}):
        raise PlanError([{"severity": "error", "file": "study.yaml", "row": None, "column": "redcap",
                          "message": "the REDCap mapping belongs to the uploaded study.yaml, not to a run"}])
    merged = deep_merge(deep_merge(_label_mappings(own), study.plan), overrides or {})
    try:
        StudyConfig.model_validate(merged)
    except ValidationError as exc:
        raise PlanError([{"severity": "error", "file": "study.yaml", "row": None,
                          "column": ".".join(str(x) for x in e["loc"]),
                          "message": ("unknown key" if e["type"] == "extra_forbidden" else e["msg"])}
                         for e in exc.errors()]) from None
    known = {c["name"] for c in meta.get("covariates", [])}
    bad = [{"severity": "error", "file": "study.yaml", "row": None, "column": f"cox.{ep}",
            "message": f"unknown covariate '{name}'"}
           for ep, names in (merged.get("cox") or {}).items() for name in names if name not in known]
    if bad:
        raise PlanError(bad)
    return merged


def start_run(session, runner, store: BlobStore, work: Path, study: StudyRow, overrides: dict | None,
              actor: str) -> RunRow:
    """Record a queued run with its inputs' hash, settings, version and author, and submit it."""
    plan = effective_plan(study, overrides)
    plan_yaml = yaml.safe_dump(plan, sort_keys=False, allow_unicode=True)
    files = [(f.name, f.sha256) for f in session.query(StudyFile).filter_by(study_id=study.id)]
    files = [(n, d) for n, d in files if n != "study.yaml"]
    h = hashlib.sha256()
    for name, digest in sorted(files):
        h.update(f"{name}\t{digest}\n".encode())
    h.update(plan_yaml.encode())
    rid = new_id()
    run = RunRow(id=rid, study_id=study.id, status="queued", progress=0.0,
                 settings_json=json.dumps(overrides or {}, sort_keys=True), plan_yaml=plan_yaml,
                 input_hash=h.hexdigest(), version=__version__, started_by=actor)
    session.add(run)
    audit(session, actor, "run started", study.id, rid, f"inputs sha256:{run.input_hash[:16]}")
    run_dir = work / "runs" / rid
    store.layout(files, run_dir / "input", {"study.yaml": plan_yaml})
    session.flush()
    return run


def submit(runner, work: Path, run: RunRow) -> None:
    runner.submit(run.id, work / "runs" / run.id)
