"""The Methods section in journal prose: design and patients (accrual period, data cut-off, centres,
ethics placeholder), response assessment, endpoints, statistical analysis with references, software.

No file, column or library name appears: the text describes what was done, as a manuscript would. Numbers
and dates are traced pieces (``Num``) read from results.json like the Results paragraph. References are
cited as (Author, year) and listed in full under "References" (``REFERENCES``).
"""

from __future__ import annotations

from . import time_dependent as td

#: key -> full reference (Vancouver style)
REFERENCES = {
    "eisenhauer": "Eisenhauer EA, Therasse P, Bogaerts J, et al. New response evaluation criteria in solid "
                  "tumours: revised RECIST guideline (version 1.1). Eur J Cancer. 2009;45(2):228-247.",
    "seymour": "Seymour L, Bogaerts J, Perrone A, et al. iRECIST: guidelines for response criteria for use in "
               "trials testing immunotherapeutics. Lancet Oncol. 2017;18(3):e143-e152.",
    "clopper": "Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the "
               "binomial. Biometrika. 1934;26(4):404-413.",
    "kaplan": "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc. "
              "1958;53(282):457-481.",
    "brookmeyer": "Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics. "
                  "1982;38(1):29-41.",
    "schemper": "Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time. Control Clin "
                "Trials. 1996;17(4):343-346.",
    "mantel": "Mantel N. Evaluation of survival data and two new rank order statistics arising in its "
              "consideration. Cancer Chemother Rep. 1966;50(3):163-170.",
    "cox": "Cox DR. Regression models and life-tables. J R Stat Soc Series B. 1972;34(2):187-220.",
    "efron": "Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc. "
             "1977;72(359):557-565.",
    "grambsch": "Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on weighted "
                "residuals. Biometrika. 1994;81(3):515-526.",
    "heinze": "Heinze G, Schemper M. A solution to the problem of monotone likelihood in Cox regression. "
              "Biometrics. 2001;57(1):114-119.",
    "andersen": "Andersen PK, Gill RD. Cox's regression model for counting processes: a large sample study. "
                "Ann Stat. 1982;10(4):1100-1120.",
    "anderson": "Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol. "
                "1983;1(11):710-719.",
    "simon": "Simon R, Makuch RW. A non-parametric graphical representation of the relationship between "
             "survival and the occurrence of an event: application to responder versus non-responder bias. "
             "Stat Med. 1984;3(1):35-44.",
    "peduzzi": "Peduzzi P, Concato J, Kemper E, Holford TR, Feinstein AR. A simulation study of the number of "
               "events per variable in logistic regression analysis. J Clin Epidemiol. 1996;49(12):1373-1379.",
    "guyot": "Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival data: "
             "reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol. "
             "2012;12:9.",
    "finkelstein": "Finkelstein DM, Muzikansky A, Schoenfeld DA. Comparing survival of a sample to that of a "
                   "standard population. J Natl Cancer Inst. 2003;95(19):1434-1439.",
    "bh": "Benjamini Y, Hochberg Y. Controlling the false discovery rate: a practical and powerful approach to "
          "multiple testing. J R Stat Soc Series B. 1995;57(1):289-300.",
    "holm": "Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat. 1979;6(2):65-70.",
    "heinze2002": "Heinze G, Schemper M. A solution to the problem of separation in logistic regression. Stat Med. "
                  "2002;21(16):2409-2419.",
    "lausen": "Lausen B, Schumacher M. Maximally selected rank statistics. Biometrics. 1992;48(1):73-85.",
    "hryniuk": "Hryniuk WM, Bush H. The importance of dose intensity in chemotherapy of metastatic breast cancer. "
               "J Clin Oncol. 1984;2(11):1281-1288.",
    "pocock": "Pocock SJ, Clayton TC, Altman DG. Survival plots of time-to-event outcomes in clinical trials: "
              "good practice and pitfalls. Lancet. 2002;359(9318):1686-1689.",
    "lachin": "Lachin JM, Foulkes MA. Evaluation of sample size and power for analyses of survival with allowance "
              "for nonuniform patient entry, losses to follow-up, noncompliance, and stratification. Biometrics. "
              "1986;42(3):507-519.",
    "schoenfeld": "Schoenfeld D. The asymptotic properties of nonparametric tests for comparing survival "
                  "distributions. Biometrika. 1981;68(1):316-319.",
    "freedman": "Freedman LS. Tables of the number of patients required in clinical trials using the logrank test. "
                "Stat Med. 1982;1(2):121-129.",
    "lan": "Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials. Biometrika. "
           "1983;70(3):659-663.",
    "wu": "Wu J. Sample size calculation for the one-sample log-rank test. Pharm Stat. 2015;14(1):26-33.",
    "simon1989": "Simon R. Optimal two-stage designs for phase II clinical trials. Control Clin Trials. "
                 "1989;10(1):1-10.",
    "ahern": "A'Hern RP. Sample size tables for exact single-stage phase II designs. Stat Med. 2001;20(6):859-866.",
}

ETHICS = ("[Ethics: state the approving ethics committee or institutional review board and its reference "
          "number, and whether informed consent was obtained or waived for this retrospective analysis.]")


def design(w) -> list:
    """Patients, period, cut-off, centres, ethics."""
    s = w.data["study"]
    acc = s.get("accrual") or {}
    out = ["This retrospective case series included ", w.num("study.n_patients", "int"), " patients"]
    if acc.get("first_start") and acc.get("last_start"):
        out += [" who started treatment between ", w.num("study.accrual.first_start", "month"), " and ",
                w.num("study.accrual.last_start", "month")]
    centres = acc.get("centres")
    if centres:
        if len(centres) == 1:
            out += [f" at one centre ({centres[0]})"]
        else:
            out += [" at ", w.num("study.accrual.centres", "count"), " centres"
                    + (f" ({', '.join(centres[:-1])} and {centres[-1]})" if len(centres) <= 6 else "")]
    else:
        out.append(" at [centre(s)]")
    out.append(".")
    if acc.get("data_cutoff"):
        out += [" Data were collected up to ", w.num("study.accrual.data_cutoff", "date"),
                " (data cut-off: the latest date at which any patient was known to be alive or dead)."]
    out.append(" Time zero was the start of treatment. ")
    unit = s["time_unit"]
    out.append({"months": "Times are reported in months (1 month = 30.4375 days).",
                "years": "Times are reported in years (1 year = 365.25 days).",
                "weeks": "Times are reported in weeks.", "days": "Times are reported in days."}.get(unit, ""))
    out += [" ", ETHICS]
    return out


def response(w) -> list:
    tables = w.data["study"].get("tables", {})
    resp = w.data.get("plan", {}).get("response", {})
    if "lesions" in tables:
        out = ["Tumour response was assessed by the investigators' lesion measurements according to RECIST 1.1 "
               "(Eisenhauer et al., 2009): the sum of target-lesion diameters (short axis for lymph nodes) "
               "defined partial response at a decrease of at least 30% from baseline and progression at an "
               "increase of at least 20% and 5 mm over the smallest sum on study, or at a new lesion. The "
               "baseline scan was the last one before the start of treatment, at most ",
               w.num("plan.baseline_window_days", "int"), " days before it."]
        if "assessments" in tables:
            out.append(" Responses recorded by the investigators were compared with the derived responses "
                       "(agreement and Cohen's kappa).")
    elif "assessments" in tables:
        out = ["Time-point responses were those recorded by the investigators; best overall response was "
               "derived from them by the RECIST 1.1 rules (Eisenhauer et al., 2009)."]
    else:
        return ["Tumour response could not be assessed, as no lesion or response data were available."]
    out += [" Best overall response used the assessments up to the first progression and before any further "
            "anticancer therapy; stable disease required an assessment at least ",
            w.num("plan.response.sd_min_days", "int"), " days after the start of treatment."]
    if resp.get("confirmation"):
        out += [" Complete and partial responses required confirmation at least ",
                w.num("plan.response.confirmation_days", "int"), " days later."]
    else:
        out += [" Responses were reported both unconfirmed and confirmed (a second assessment at least ",
                w.num("plan.response.confirmation_days", "int"), " days later)."]
    days = w.ctx.clinical_benefit_days
    cbr = (" Clinical benefit was defined as complete or partial response, or no progression or death for at "
           f"least {days} days.") if days else ""
    out.append(" The objective response rate was the proportion of patients with complete or partial response "
               "and the disease control rate that with complete or partial response or stable disease; their "
               "95% confidence intervals are exact (Clopper & Pearson, 1934)." + cbr)
    return out


def endpoints(w) -> list:
    pfs = w.data.get("plan", {}).get("pfs", {})
    out = ["Overall survival was the time from the start of treatment to death from any cause; patients alive "
           "were censored at their last contact. Progression-free survival was the time to the earliest of "
           "radiological progression, clinical progression and death; patients without an event were censored "
           "at their last adequate tumour assessment."]
    if pfs.get("censor_at_new_therapy"):
        out.append(" Patients who started a further anticancer therapy before any event were censored at their "
                   "last adequate assessment before it.")
    else:
        out.append(" Further anticancer therapy did not censor progression-free survival.")
    if pfs.get("missed_assessments"):
        out += [" An event after more than ", w.num("plan.pfs.missed_assessments.max_missed", "int"),
                " missed assessments was censored at the last adequate assessment."]
    surv = w.data.get("survival") or {}
    if "DOR" in surv:
        out.append(" Duration of response was the time from the first complete or partial response to "
                   "progression or death, in responders.")
    if "TTP" in surv:
        out.append(" Time to progression was defined as progression-free survival with deaths without "
                   "progression censored.")
    if "IPFS" in surv:
        out.append(" Responses were also assessed by iRECIST (Seymour et al., 2017), in which a first progression "
                   "is unconfirmed until further growth is seen at a later assessment at least 4 weeks later.")
    return out


def statistics(w) -> list:
    d = w.data
    fitted = [m for m in (d.get("cox") or []) if not m.get("skipped")]
    out = ["Survival was estimated by the Kaplan-Meier method (Kaplan & Meier, 1958) with Greenwood's variance "
           "and log-transformed pointwise 95% confidence intervals; confidence intervals for median times "
           "were obtained by the method of Brookmeyer and Crowley (1982), and an unreached median or limit is "
           "reported as not reached. Median follow-up was estimated by the reverse Kaplan-Meier method "
           "(Schemper & Smith, 1996)." + _plot_cut(d)]
    if d.get("logrank"):
        out.append(" Survival by categorical variables was compared with the log-rank test (Mantel, 1966).")
    if fitted:
        out.append(" Hazard ratios were estimated by Cox proportional hazards regression (Cox, 1972) with "
                   "Efron's method for tied event times (Efron, 1977) and Wald 95% confidence intervals; "
                   "patients with a missing value were excluded from that model. Proportional hazards were "
                   "checked with scaled Schoenfeld residuals (Grambsch & Therneau, 1994).")
        if any(m.get("firth") for m in fitted):
            out.append(" Where a variable separated patients with and without events (monotone likelihood), "
                       "Firth's penalised partial likelihood (Heinze & Schemper, 2001) gave a finite hazard "
                       "ratio with a profile-likelihood confidence interval.")
        if d.get("plan", {}).get("cox"):
            multi = any(m["model"] == "multivariable" for m in fitted)
            out.append(" The prognostic variables were prespecified and each was analysed in a univariable model"
                       + ("; they were also analysed together in a multivariable model." if multi else "."))
        else:
            out.append(" Every baseline variable with at least three patients per category and at most half "
                       "missing values was analysed in a univariable model"
                       + ("; those with a likelihood-ratio P < 0.10 entered a multivariable model."
                          if d.get("plan", {}).get("multivariable") else "."))
    if d.get("time_dependent"):
        out.append(" " + TD_PROSE.format(names=td._names(d["time_dependent"])))
    from . import historical
    from .tables_methods import tables_methods

    out += tables_methods(w)          # Table 1 by group and the Cox table options
    out += historical.methods_pieces(w)
    from . import trial_design

    out += trial_design.methods_pieces(w)
    b = d.get("biomarkers") or {}
    if b.get("markers"):
        out.append(" Each biomarker")
        if b.get("genes_tested"):
            seq = (b.get("sequenced") or {}).get("column")
            out += [" and each gene mutated in at least ", w.num("biomarkers.min_mutation_carriers", "int"),
                    " patients" + (" (patients whose tumour was not sequenced were excluded)" if seq else
                                   " (every patient taken as sequenced)")]
        out += [" was compared with response by Fisher's exact test (categorical) or the Wilcoxon rank-sum test "
                "(numeric) and with progression-free and overall survival by the log-rank test or univariable Cox "
                "regression (hazard ratio per unit and per interquartile range); patients without a value were "
                "excluded from that comparison. The ", w.num("biomarkers.n_tests", "int"),
                (" tests were not adjusted for multiple comparisons." if b.get("adjustment", "none") == "none"
                 else " tests are reported with raw and adjusted P values.")]
    from .narrative_extra import methods as extra_methods   # issue 14: multiplicity, odds ratios, dose, toxicity

    out += extra_methods(w)
    out.append(" Patient characteristics are summarised as median (range) or number (percentage), and adverse "
               "events by the worst grade per patient and term (CTCAE). All P values are two-sided, "
               + ("adjusted for multiplicity only where stated" if (d.get("biomarkers") or {}).get("adjustment", "none")
                  != "none" else "without adjustment for multiple comparisons")
               + ", and exploratory in a series of this size.")
    return out


def _plot_cut(d: dict) -> str:
    """The figures' time-axis rule (study.yaml report.figures.axis_cut) as a sentence."""
    cut = ((d.get("plan", {}).get("report") or {}).get("figures") or {}).get("axis_cut", {})
    if not cut or (cut.get("fraction") is None and cut.get("min_patients") is None):
        return ""
    parts = ([f"{100 * cut['fraction']:g}% of the patients"] if cut.get("fraction") is not None else []) + \
        ([f"{cut['min_patients']} patients"] if cut.get("min_patients") is not None else [])
    return (f" Kaplan-Meier plots are shown up to the time at which fewer than {' or fewer than '.join(parts)} "
            "remained at risk (Pocock et al., 2002).")


TD_PROSE = ("Variables that occur during follow-up, here {names}, were analysed as time-dependent covariates in Cox "
            "models on counting-process data (Andersen & Gill, 1982), so that no patient is credited with time "
            "before the event occurred (immortal-time bias); a landmark analysis (Anderson et al., 1983) and "
            "Simon-Makuch curves (Simon & Makuch, 1984) are shown beside them. The comparison as if the status "
            "were known at the start of treatment is reported for reference only.")


def software(w) -> list:
    v = w.ctx.versions.get("oncoseries", "")
    return [f"Analyses were performed with oncoseries version {v}, open-source software whose survival "
            "estimates are verified against the reference implementation in R to a relative difference of "
            "10\u207b\u2076."]


def cited(paragraphs) -> list[str]:
    """The full references cited in ``paragraphs`` (by first author and year), in order of citation."""
    text = " ".join("".join(p if isinstance(p, str) else p.text for p in pieces) for _, pieces in paragraphs)
    marks = {"eisenhauer": "Eisenhauer et al., 2009", "seymour": "Seymour et al., 2017",
             "clopper": "Clopper & Pearson, 1934", "kaplan": "Kaplan & Meier, 1958",
             "brookmeyer": "Brookmeyer and Crowley (1982)", "schemper": "Schemper & Smith, 1996",
             "pocock": "Pocock et al., 2002", "mantel": "Mantel, 1966", "cox": "Cox, 1972",
             "efron": "Efron, 1977", "grambsch": "Grambsch & Therneau, 1994", "heinze": "Heinze & Schemper, 2001",
             "andersen": "Andersen & Gill, 1982", "anderson": "Anderson et al., 1983",
             "simon": "Simon & Makuch, 1984", "peduzzi": "Peduzzi et al., 1996", "guyot": "Guyot et al., 2012",
             "finkelstein": "Finkelstein et al., 2003", "bh": "Benjamini & Hochberg, 1995", "holm": "Holm, 1979",
             "heinze2002": "Heinze & Schemper, 2002", "lausen": "Lausen & Schumacher, 1992",
             "hryniuk": "Hryniuk & Bush, 1984", "lachin": "Lachin and Foulkes (1986)",
             "schoenfeld": "Schoenfeld (1981)", "freedman": "Freedman (1982)", "lan": "Lan & DeMets, 1983",
             "wu": "Wu, 2015", "simon1989": "Simon, 1989", "ahern": "A'Hern, 2001"}
    found = sorted((text.index(m), k) for k, m in marks.items() if m in text)
    return [REFERENCES[k] for _, k in found]


def methods(w) -> tuple[list, list[str]]:
    """(subheading, pieces) per paragraph, and the references they cite."""
    paragraphs = [(title, make(w)) for title, make in (
        ("Patients and data", design), ("Response assessment", response), ("Endpoints", endpoints),
        ("Statistical analysis", statistics), ("Software", software))]
    return paragraphs, cited(paragraphs)
