# Goldens for Table 1 by group (oncoseries.analysis.table1_by, gtsummary add_p defaults) and for the Cox
# table extras (oncoseries.analysis.cox_extras: type III likelihood-ratio P as drop1, scaled HRs).
# Run from the repository root: Rscript tests/golden/tables.R  -> tests/golden/tables.json
#
# gtsummary's add_p.tbl_summary defaults (?add_p.tbl_summary, ?tests): categorical variables,
# chisq.test(correct = FALSE) ("chisq.test.no.correct") when every expected count is >= 5, otherwise
# fisher.test; continuous variables, wilcox.test (2 groups, R defaults: exact when both n < 50 and no ties)
# or kruskal.test (more groups); complete cases of variable and group. gtsummary is not needed here: the
# same stats calls are made directly. oncoseries' Table 1 rule decides continuous vs categorical (numeric
# with more than 5 distinct values is continuous), so the R side uses that rule too.
source("tests/golden/_json.R")
library(survival)
stopifnot(as.character(packageVersion("survival")) == "3.5.3")

add_p <- function(x, g) {
  keep <- !is.na(x) & !is.na(g)
  x <- x[keep]; g <- g[keep]
  continuous <- is.numeric(x) && length(unique(x)) > 5
  if (continuous) {
    if (length(unique(g)) == 2) {
      lv <- sort(unique(g))
      t <- wilcox.test(x[g == lv[1]], x[g == lv[2]])
      return(list(test = "wilcoxon", statistic = unname(t$statistic), p = t$p.value,
                  exact = !grepl("continuity|normal", t$method) && !any(duplicated(x))))
    }
    t <- kruskal.test(x, factor(g))
    return(list(test = "kruskal", statistic = unname(t$statistic), df = unname(t$parameter), p = t$p.value))
  }
  tab <- table(factor(x), factor(g))
  e <- suppressWarnings(chisq.test(tab, correct = FALSE))$expected
  if (all(e >= 5)) {
    t <- suppressWarnings(chisq.test(tab, correct = FALSE))
    return(list(test = "chisq", statistic = unname(t$statistic), df = unname(t$parameter), p = t$p.value))
  }
  list(test = "fisher", p = fisher.test(tab)$p.value)
}

# --- the bundled example: Table 1 by prior ifosfamide ----------------------------------------------------
ex <- "src/oncoseries/examples/data/hdifo"
p <- read.csv(file.path(ex, "patients.csv"), stringsAsFactors = FALSE, na.strings = "")
source("tests/golden/_hdifo_markers.R")
hm <- hdifo_markers(p); d <- hm$d; genes <- hm$genes
vars <- c("centre", "age", "sex", "primary_site", "relapse_site", "n_lesions", "relapse_free_interval_months",
          "prior_ifosfamide", "line_of_therapy", "ecog", "cr2", "parp1_ihc", "parp1_category", "ngs_tested", paste0(genes, "_mutated"))
v_ifo <- vars[vars != "prior_ifosfamide"]
by_ifo <- lapply(setNames(v_ifo, v_ifo), function(v) add_p(d[[v]], d$prior_ifosfamide))
by_centre <- lapply(setNames(vars[vars != "centre"], vars[vars != "centre"]), function(v) add_p(d[[v]], d$centre))

# --- small cases: exact and approximate Wilcoxon, Kruskal-Wallis with ties ------------------------------
wil <- list(
  list(x = c(1.1, 2.3, 3.5), y = c(4.2, 5.1, 6.3, 0.5)),
  list(x = c(12.5, 3.1, 8.8, 15.2, 7.7, 9.9, 1.4), y = c(2.2, 4.4, 6.6, 0.3, 5.5)),
  list(x = seq(0.5, 24.5, by = 1), y = seq(0.25, 30.25, by = 1.2)),    # n = 25 and 26: exact
  list(x = c(1, 2, 2, 3, 5), y = c(2, 4, 6, 7)),                      # ties: normal approximation
  list(x = seq(1, 60), y = seq(30.5, 80.5))                           # n >= 50: normal approximation
)
wilcox <- lapply(wil, function(s) {
  t <- wilcox.test(s$x, s$y)
  list(x = I(s$x), y = I(s$y), statistic = unname(t$statistic), p = t$p.value)
})
kw <- list(
  list(x = c(1, 2, 3, 4, 5, 6, 7), g = c("a", "a", "b", "b", "c", "c", "c")),
  list(x = c(2, 2, 3, 5, 5, 5, 8, 9, 1, 1), g = c("a", "b", "c", "a", "b", "c", "a", "b", "c", "d"))
)
kruskal <- lapply(kw, function(s) {
  t <- kruskal.test(s$x, factor(s$g))
  list(x = I(s$x), g = I(s$g), statistic = unname(t$statistic), df = unname(t$parameter), p = t$p.value)
})

# --- Cox: type III (drop1) P and scaled HRs on the example's PFS and OS ---------------------------------
o <- read.csv("tests/golden/association_hdifo.csv", stringsAsFactors = FALSE)
s <- merge(o, p, by = "patient_id")
s$ecog <- factor(s$ecog, levels = c(0, 1, 2))
s$prior_ifosfamide <- factor(s$prior_ifosfamide, levels = c("no", "yes"))
full <- coxph(Surv(pfs_time, pfs_event) ~ prior_ifosfamide + ecog + age, data = s)
dr <- drop1(full, test = "Chisq")
type3 <- list(terms = I(rownames(dr)[-1]), df = I(unname(dr$Df[-1])), statistic = I(unname(dr$LRT[-1])),
              p = I(unname(dr[["Pr(>Chi)"]][-1])))
scaled <- coxph(Surv(pfs_time, pfs_event) ~ prior_ifosfamide + ecog + I(age / 10), data = s)
ci <- exp(confint(scaled))
multi_age10 <- list(hr = unname(exp(coef(scaled))["I(age/10)"]), lower = unname(ci["I(age/10)", 1]),
                    upper = unname(ci["I(age/10)", 2]))
uni_ecog <- coxph(Surv(os_time, os_event) ~ ecog, data = s)
uni_ecog_lr <- unname(summary(uni_ecog)$logtest["pvalue"])
iqr <- unname(IQR(s$relapse_free_interval_months))
rfi <- coxph(Surv(os_time, os_event) ~ I(relapse_free_interval_months / iqr), data = s)
rfi_ci <- exp(confint(rfi))
uni_rfi_iqr <- list(iqr = iqr, hr = unname(exp(coef(rfi))), lower = rfi_ci[1, 1], upper = rfi_ci[1, 2])
age10 <- coxph(Surv(os_time, os_event) ~ I(age / 10), data = s)
age_ci <- exp(confint(age10))
uni_age10 <- list(hr = unname(exp(coef(age10))), lower = age_ci[1, 1], upper = age_ci[1, 2])

write_json(list(table1_prior_ifosfamide = by_ifo, table1_centre = by_centre, wilcox = wilcox,
                kruskal = kruskal,
                cox = list(pfs_multi_type3 = type3, pfs_multi_age10 = multi_age10, os_uni_ecog_lr_p = uni_ecog_lr,
                           os_uni_rfi_iqr = uni_rfi_iqr, os_uni_age10 = uni_age10)),
           "tests/golden/tables.json")
