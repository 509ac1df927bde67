# Golden values for oncoseries.stats.cox_zph (R survival >= 3.0 cox.zph, exact score test).
#
# Run from the repository root:  Rscript tests/golden/cox_zph.R
# Writes tests/golden/cox_zph.json and the generated data set tests/data/zph/ties.csv.
# Each case stores the coxph coefficients and variance (fed to cox_zph_arrays in the tests, so the
# tests do not depend on our own Cox fitter), the cox.zph table, and the $x/$y/$time residual output.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.0")

num <- function(x) {
  x <- as.numeric(x)
  out <- ifelse(is.na(x), "null", sprintf("%.17g", x))
  out[is.infinite(x) & x > 0] <- "1e999"
  out
}
jvec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
jstr <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
jmat <- function(m) {  # row-major list of rows
  m <- as.matrix(m)
  paste0("[", paste(apply(m, 1, jvec), collapse = ",\n      "), "]")
}

case_json <- function(name, fit, zph, note) {
  tb <- zph$table
  fields <- c(
    sprintf('"name": "%s"', name),
    sprintf('"note": "%s"', note),
    sprintf('"ties": "%s"', fit$method),
    sprintf('"transform": "%s"', zph$transform),
    sprintf('"n": %d', fit$n),
    sprintf('"columns": %s', jstr(names(coef(fit)))),
    sprintf('"coef": %s', jvec(coef(fit))),
    sprintf('"var": %s', jmat(fit$var)),
    sprintf('"terms": %s', jstr(rownames(tb))),
    sprintf('"chisq": %s', jvec(tb[, "chisq"])),
    sprintf('"df": %s', jvec(tb[, "df"])),
    sprintf('"p": %s', jvec(tb[, "p"])),
    sprintf('"x": %s', jvec(zph$x)),
    sprintf('"time": %s', jvec(zph$time)),
    sprintf('"y": %s', jmat(zph$y)),
    sprintf('"y_columns": %s', jstr(colnames(zph$y))),
    sprintf('"zph_var": %s', jmat(zph$var))
  )
  if (!is.null(zph$strata)) fields <- c(fields, sprintf('"strata": %s', jstr(as.character(zph$strata))))
  paste0("  {\n    ", paste(fields, collapse = ",\n    "), "\n  }")
}

cases <- list()
add <- function(name, fit, zph, note) cases[[length(cases) + 1]] <<- case_json(name, fit, zph, note)

# 1. lung, age + sex + ph.ecog (numeric), Efron; all four transforms and a user function.
lung_fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
for (tr in c("km", "rank", "identity", "log")) {
  add(paste0("lung_", tr), lung_fit, cox.zph(lung_fit, transform = tr), "lung complete cases for ph.ecog")
}
add("lung_sqrt", lung_fit, cox.zph(lung_fit, transform = sqrt), "user transform sqrt")
add("lung_km_noglobal", lung_fit, cox.zph(lung_fit, global = FALSE), "global = FALSE")

# 2. lung, Breslow ties.
lung_bres <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = "breslow")
add("lung_breslow_km", lung_bres, cox.zph(lung_bres), "Breslow ties")
add("lung_breslow_rank", lung_bres, cox.zph(lung_bres, transform = "rank"), "Breslow ties")

# 3. veteran with factor celltype (reference squamous): a 3-df term.
vet_fit <- coxph(Surv(time, status) ~ trt + celltype + karno, data = veteran)
add("veteran_km", vet_fit, cox.zph(vet_fit), "celltype is one row with df 3")
add("veteran_identity", vet_fit, cox.zph(vet_fit, transform = "identity"), "celltype df 3")
add("veteran_km_noterms", vet_fit, cox.zph(vet_fit, terms = FALSE), "terms = FALSE: one row per coefficient")

# 4. stratified models.
lung_str <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)
add("lung_strata_sex_km", lung_str, cox.zph(lung_str), "strata(sex); km transform ignores strata (as R)")
lung_str3 <- coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung)
add("lung_strata_ecog_km", lung_str3, cox.zph(lung_str3),
    "stratum ph.ecog=3 has one row (no varying covariate): R leaves its $y row unscaled")
vet_str <- coxph(Surv(time, status) ~ karno + age + strata(celltype), data = veteran)
add("veteran_strata_celltype_rank", vet_str, cox.zph(vet_str, transform = "rank"), "strata(celltype)")

# 5. generated data with heavy ties (15 distinct times for 300 rows), a factor and strata.
set.seed(20240611)
n <- 300
ties <- data.frame(
  time = sample(1:15, n, replace = TRUE),
  status = rbinom(n, 1, 0.7),
  x1 = round(rnorm(n), 3),
  x2 = rbinom(n, 1, 0.4),
  grp = sample(c("a", "b", "c"), n, replace = TRUE),
  s = sample(c("s1", "s2"), n, replace = TRUE)
)
dir.create("tests/data/zph", showWarnings = FALSE, recursive = TRUE)
write.csv(ties, "tests/data/zph/ties.csv", row.names = FALSE)
ties <- read.csv("tests/data/zph/ties.csv")  # fit exactly what the Python test reads
tie_efron <- coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), data = ties)
add("ties_efron_km", tie_efron, cox.zph(tie_efron), "heavy ties, Efron, strata(s)")
add("ties_efron_log", tie_efron, cox.zph(tie_efron, transform = "log"), "heavy ties, Efron, strata(s)")
tie_bres <- coxph(Surv(time, status) ~ x1 + x2 + grp, data = ties, ties = "breslow")
add("ties_breslow_km", tie_bres, cox.zph(tie_bres), "heavy ties, Breslow, no strata")
add("ties_breslow_rank", tie_bres, cox.zph(tie_bres, transform = "rank"), "heavy ties, Breslow")

writeLines(c(
  "{",
  sprintf('"generator": "tests/golden/cox_zph.R (R %s, survival %s)",',
          paste(R.version$major, R.version$minor, sep = "."), packageVersion("survival")),
  '"cases": [',
  paste(unlist(cases), collapse = ",\n"),
  "]}"
), "tests/golden/cox_zph.json")
cat("wrote tests/golden/cox_zph.json with", length(cases), "cases\n")
