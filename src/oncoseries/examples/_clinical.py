"""Patient covariates, ifosfamide cycles, adverse events, PARP1 IHC and NGS variants (all vectorised).

Distributions are plausible for relapsed high-grade osteosarcoma treated with high-dose ifosfamide
(3 g/m2/day continuous infusion days 1-5 every 21 days = 15 g/m2 per cycle; docs/example-study.md);
they are not estimates from any patient data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._outcomes import Outcomes

CITIES = ("Bologna", "Milano", "Firenze", "Torino", "Roma", "Napoli", "Padova", "Genova", "Bari", "Palermo")
PRIMARY_SITES = (("femur", .45), ("tibia", .22), ("humerus", .10), ("pelvis", .08), ("fibula", .05),
                 ("other", .10))
RELAPSE_P = (.60, .14, .26)                   # lung only, bone, both (order of _lesions.SITES)
PLANNED_MG_M2 = 15000.0                       # 3,000 mg/m2/day x 5 days
REDUCED_MG_M2 = 12000.0                       # -20% after a severe toxicity
MAX_CYCLES = 6
# CTCAE grade probabilities per cycle (grade 0..4) and onset (days after day 1 of the cycle)
AE_TERMS = (
    ("Neutropenia", (.08, .04, .08, .30, .50), (7, 12)),
    ("Febrile neutropenia", (.91, 0, 0, .085, .005), (8, 14)),
    ("Thrombocytopenia", (.45, .15, .12, .20, .08), (8, 14)),
    ("Anaemia", (.20, .28, .32, .19, .01), (10, 18)),
    ("Encephalopathy", (.95, .02, .015, .012, .003), (1, 4)),
    ("Nephrotoxicity", (.88, .08, .03, .01, 0), (5, 20)),
    ("Haemorrhagic cystitis", (.965, .02, .01, .005, 0), (2, 6)),
    ("Nausea", (.45, .36, .17, .02, 0), (1, 4)),
)
# toxicities that lead to the 20% dose reduction (uncomplicated G4 neutropenia does not: G-CSF)
SEVERE = {"Febrile neutropenia": 3, "Thrombocytopenia": 4, "Encephalopathy": 3, "Nephrotoxicity": 3,
          "Haemorrhagic cystitis": 3}
# NGS panel: gene, prevalence among tested tumours, variants, classification weights (P, LP, VUS)
GENES = (
    ("TP53", .55, ("p.R273H", "p.R248Q", "p.R175H", "p.Y220C", "c.376-1G>A", "intron 1 rearrangement")),
    ("RB1", .28, ("deletion", "p.R358*", "p.R552*", "c.1960+1G>A")),
    ("ATRX", .15, ("p.R1426*", "deletion", "p.Q929*")),
    ("CDKN2A", .14, ("deletion",)),
    ("MYC", .12, ("amplification",)),
    ("CCNE1", .08, ("amplification",)),
    ("PTEN", .08, ("deletion", "p.R130Q")),
    ("VEGFA", .07, ("amplification",)),
    ("MDM2", .06, ("amplification",)),
    ("PIK3CA", .04, ("p.E545K", "p.H1047R")),
)
CLASSES = (("pathogenic", .78), ("likely pathogenic", .14), ("VUS", .08))


def _pick(rng, options, n):
    names = np.array([o for o, _ in options])
    p = np.array([w for _, w in options], float)
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def centres(n_centres: int) -> np.ndarray:
    """Centre names: Italian cities, then 'Centro 11', ... beyond ten."""
    return np.array([CITIES[i] if i < len(CITIES) else f"Centro {i + 1}" for i in range(n_centres)])


def covariates(rng: np.random.Generator, o: Outcomes, n_centres: int) -> dict[str, np.ndarray]:
    """Baseline covariates (patients.csv), drawn independently of outcome apart from the design ones."""
    n = o.n
    w = 1.0 / np.arange(1, n_centres + 1)
    centre = centres(n_centres)[rng.choice(n_centres, size=n, p=w / w.sum())]
    age = np.clip(np.round(19 * np.exp(0.45 * rng.standard_normal(n))), 9, 68).astype(np.int64)
    sex = np.where(rng.random(n) < 0.6, "male", "female")
    line_p = np.where(o.prior_ifo[:, None], [[.35, .40, .25]], [[.75, .20, .05]])
    line = 2 + (rng.random(n)[:, None] > np.cumsum(line_p, axis=1)).sum(axis=1)
    return {
        "centre": centre, "age": age, "sex": sex,
        "primary_site": _pick(rng, PRIMARY_SITES, n),
        "relapse_site": rng.choice(3, size=n, p=RELAPSE_P),
        "relapse_free_interval_months": np.clip(np.round(16 * np.exp(0.8 * rng.standard_normal(n)), 1),
                                                2, 120),
        "prior_ifosfamide": np.where(o.prior_ifo, "yes", "no"),
        "line_of_therapy": line,
        "ecog": rng.choice(3, size=n, p=[.55, .38, .07]),
        "cr2": np.where(o.cr2, "yes", "no"),
    }


def bsa(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Body surface area (m2), smaller for children."""
    mean = np.where(sex == "male", 1.90, 1.65) * np.where(age < 16, 0.85, 1.0)
    return np.clip(np.round(mean + 0.14 * rng.standard_normal(len(age)), 2), 1.1, 2.5)


@dataclass
class Cycles:
    patient: np.ndarray
    cycle: np.ndarray
    day: np.ndarray
    bsa: np.ndarray
    dose: np.ndarray
    ae_term: np.ndarray        # index into AE_TERMS
    ae_grade: np.ndarray
    ae_day: np.ndarray
    ae_patient: np.ndarray
    ae_cycle: np.ndarray


def cycles_and_toxicity(rng: np.random.Generator, o: Outcomes, age, sex) -> Cycles:
    """Cycles every 21 days (+ delays) until progression, metastasectomy or six cycles; CTCAE events;
    a 20% dose reduction (12 g/m2) from the cycle after a severe toxicity, and longer delays."""
    n, c = o.n, MAX_CYCLES
    grades = {}
    for term, probs, _ in AE_TERMS:   # loop over the eight terms, vectorised over patients x cycles
        grades[term] = rng.choice(5, size=(n, c), p=np.array(probs) / np.sum(probs))
    severe = np.zeros((n, c), dtype=bool)
    for term, g in SEVERE.items():
        severe |= grades[term] >= g
    before = np.zeros((n, c), dtype=bool)
    before[:, 1:] = np.cumsum(severe, axis=1)[:, :-1] > 0
    after_severe = np.zeros((n, c), dtype=bool)
    after_severe[:, 1:] = severe[:, :-1]
    delay = np.where(after_severe, np.where(rng.random((n, c)) < 0.6, rng.integers(3, 11, (n, c)), 0),
                     np.where(rng.random((n, c)) < 0.12, rng.integers(1, 8, (n, c)), 0))
    delay[:, 0] = 0
    day = np.cumsum(21 + delay, axis=1) - 21
    stop = np.where(o.prog_day >= 0, o.prog_day, np.iinfo(np.int64).max)
    stop = np.where(o.surgery_day >= 0, np.minimum(stop, o.surgery_day - 7), stop)
    stop = np.minimum(stop, o.last_day + 1)
    given = (day < stop[:, None]) | (np.arange(c) == 0)
    pid, cyc = np.nonzero(given)
    area = bsa(rng, age, sex)
    dose = np.where(before[pid, cyc], REDUCED_MG_M2, PLANNED_MG_M2)
    # adverse events of the given cycles, dated after day 1 of the cycle, not after the last contact
    terms, tg, td, tp, tc = [], [], [], [], []
    for t, (term, _, (a, b)) in enumerate(AE_TERMS):
        g = grades[term][pid, cyc]
        on = g > 0
        d = day[pid, cyc] + rng.integers(a, b + 1, len(pid))
        on &= d <= o.last_day[pid]
        terms.append(np.full(int(on.sum()), t, dtype=np.int64))
        tg.append(g[on]); td.append(d[on]); tp.append(pid[on]); tc.append(cyc[on] + 1)
    ae_p, ae_c, ae_d = np.concatenate(tp), np.concatenate(tc), np.concatenate(td)
    order = np.lexsort((ae_d, ae_c, ae_p))
    return Cycles(patient=pid, cycle=cyc + 1, day=day[pid, cyc], bsa=area[pid], dose=dose,
                  ae_term=np.concatenate(terms)[order], ae_grade=np.concatenate(tg)[order],
                  ae_day=ae_d[order],
                  ae_patient=ae_p[order], ae_cycle=ae_c[order])


@dataclass
class Markers:
    parp1_ihc: np.ndarray      # H-score 0-300, -1 = no tissue
    parp1_category: np.ndarray
    ngs_tested: np.ndarray     # bool
    variants: dict             # gene -> (patient indices, variant, classification), genes in GENES order

    def mutation_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(patient, gene, variant, classification) of every variant, by patient, then panel order."""
        pats = [self.variants[g][0] for g, _, _ in GENES]
        genes = [np.full(len(p), g, dtype=object) for p, (g, _, _) in zip(pats, GENES)]
        mp = np.concatenate(pats)
        order = np.argsort(mp, kind="stable")
        return (mp[order], np.concatenate(genes)[order],
                np.concatenate([self.variants[g][1] for g, _, _ in GENES])[order],
                np.concatenate([self.variants[g][2] for g, _, _ in GENES])[order])


def _h_scores(rng: np.random.Generator, tissue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PARP1 H-scores (0-300 in steps of 5; -1 without tissue) and their category (high >= 150)."""
    h = np.round(300 * rng.beta(1.6, 2.2, len(tissue)) / 5) * 5
    h = np.where(tissue, h, -1).astype(np.int64)
    return h, np.where(~tissue, "", np.where(h >= 150, "high", "low"))


def _gene_variants(rng: np.random.Generator, tested: np.ndarray, prev: float, var: tuple) -> tuple:
    hit = np.flatnonzero(tested & (rng.random(len(tested)) < prev))
    return (hit, np.array(var, dtype=object)[rng.integers(0, len(var), len(hit))],
            _pick(rng, CLASSES, len(hit)).astype(object))


def markers(rng: np.random.Generator, n: int) -> Markers:
    """PARP1 IHC (H-score, 'high' >= 150) on 80% of tumours, an NGS panel on 70%; independent of
    outcome by design."""
    tissue = rng.random(n) < 0.80
    h, cat = _h_scores(rng, tissue)
    tested = tissue & (rng.random(n) < 0.875)
    variants = {gene: _gene_variants(rng, tested, prev, var) for gene, prev, var in GENES}  # ten genes
    return Markers(parp1_ihc=h, parp1_category=cat, ngs_tested=tested, variants=variants)


def redraw_markers(rng: np.random.Generator, mk: Markers, parts: set[str]) -> Markers:
    """A copy of ``mk`` with the PARP1 H-scores ("parp1") and the variants of the genes named in ``parts``
    drawn again from the same distributions (who has tissue and who was sequenced are kept)."""
    h, cat = _h_scores(rng, mk.parp1_ihc >= 0) if "parp1" in parts else (mk.parp1_ihc, mk.parp1_category)
    variants = {gene: _gene_variants(rng, mk.ngs_tested, prev, var) if gene in parts else mk.variants[gene]
                for gene, prev, var in GENES}
    return Markers(parp1_ihc=h, parp1_category=cat, ngs_tested=mk.ngs_tested, variants=variants)
