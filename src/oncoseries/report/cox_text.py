"""Results sentences of the Cox table (report/cox_table.py), every number traced to results.json.

Per endpoint: the planned covariates always, screened ones (study.yaml ``regression.screen: all``) only
when P < 0.05 (the others summarised by their number); a multi-level factor by its global likelihood-ratio
P (type III), a numeric covariate by its HR per the chosen unit (``per 10 years``); in the multivariable
model the terms with P < 0.05, and a warning when events per coefficient fall below the limit.
"""

from __future__ import annotations

from . import numbers as nb
from .context import label

ALPHA = 0.05


def _items(w, mi: int, m: dict) -> list[dict]:
    """One item per variable of a model: its P (global for a multi-level factor), direction and pieces."""
    by_term: dict[str, list[int]] = {}
    for ti, term in enumerate(m["terms"]):
        by_term.setdefault(term["term"], []).append(ti)
    type3 = {t["term"]: i for i, t in enumerate(m.get("type3") or [])}
    out = []
    for name, tis in by_term.items():
        if len(tis) > 1 and name in type3:                       # multi-level factor: one global P
            k = type3[name]
            out.append({"name": name, "p": m["type3"][k]["p"], "subject": label(name, capital=False),
                        "direction": None,
                        "text": ["(likelihood-ratio ", w.num(f"cox[{mi}].type3[{k}].p", "p"), ")"]})
            continue
        ti = tis[0]
        term = m["terms"][ti]
        p = w._term_p(m, term)
        if not nb.is_number(p):
            continue
        per = term.get("per") or {}
        separated = term["coefficient"] in m.get("separation", [])
        if "hr" in per and not separated:
            src = f"cox[{mi}].terms[{ti}].per"
            text = ["(HR ", w.num(f"{src}.hr", "hr"), f" {per['text']}, ", *w.ci(src, "hr"), ", ",
                    w.num(f"cox[{mi}].terms[{ti}].p", "p"), ")"]
        else:
            text = w._term_text(mi, m, ti, term)
        if not text:
            continue
        if term.get("level") is None:
            subject = f"a higher {label(name, capital=False)}"
            if "hr" not in per or separated:      # "(HR 1.45 per 1 unit, 95% CI ...)"
                text = text[:4] + [f" {term.get('unit_text') or 'per 1 unit'}"] + text[4:]
        else:
            subject = f"{label(name, capital=False)} {term['level']} (vs {term['reference']})"
        out.append({"name": name, "p": p, "subject": subject, "direction": w._shown_hr(m, term) > 1,
                    "text": text, "ph": ((m.get("ph_test") or {}).get("terms", {}).get(name) or {}).get("p")})
    return out


def cox_pieces(w, kind: str) -> list:
    """The univariable or multivariable sentences, per endpoint."""
    data = w.data
    models = [(i, m) for i, m in enumerate(data.get("cox") or []) if m["model"] == kind and not m.get("skipped")]
    plan = data.get("plan", {}).get("cox") or {}
    out = []
    for ep in ("PFS", "OS"):
        planned = set(plan.get(ep, []))
        hits, quiet = [], 0
        for mi, m in models:
            if m["endpoint"] != ep:
                continue
            for it in _items(w, mi, m):
                report_all = kind == "univariable" and it["name"] in planned
                if it["p"] >= ALPHA and not report_all:
                    quiet += 1
                    continue
                if it["p"] < ALPHA:
                    verb = (f"was associated with {'shorter' if it['direction'] else 'longer'} {ep}"
                            if it["direction"] is not None else f"was associated with {ep}")
                else:
                    verb = f"was not significantly associated with {ep}"
                flag = " (proportional hazards questionable)" if nb.is_number(it.get("ph")) and it["ph"] < 0.05 \
                    else ""
                hits.append([it["subject"], f" {verb} ", *it["text"], flag])
        lead = "In univariable analysis, " if kind == "univariable" else "In multivariable analysis, "
        if hits:
            body = []
            for k, h in enumerate(hits):
                body += (["; "] if k else []) + h
            out += [" ", lead, *body]
            if quiet and kind == "univariable":
                out += [f"; none of the other {quiet} characteristics screened was associated with {ep} "
                        "(P \u2265 0.05)" if quiet > 1 else f"; the other characteristic screened was not "
                        f"associated with {ep} (P \u2265 0.05)"]
            out += ["."]
        elif quiet and kind == "univariable":
            what = "the covariate tested was" if quiet == 1 else f"none of the {quiet} covariates tested was"
            out += [f" {lead}{what} {'not ' if quiet == 1 else ''}associated with {ep} (P \u2265 0.05)."]
        elif quiet and kind == "multivariable":
            out += [f" {lead}no covariate was associated with {ep} (P \u2265 0.05)."]
        for mi, m in models:
            if m["endpoint"] == ep and kind == "multivariable" and m.get("epv_low"):
                out += [f" The multivariable {ep} model had ", w.num(f"cox[{mi}].events_per_variable", "num"),
                        " events per coefficient (below ", w.num("regression.min_events_per_variable", "num"),
                        "), so its estimates may be overfitted."]
    return out
