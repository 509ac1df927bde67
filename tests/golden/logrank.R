# Goldens for oncoseries.stats.logrank (survdiff) and logrank_trend (score contrast of survdiff's O-E with
# its variance matrix; R has no built-in). Run from the repo root: Rscript tests/golden/logrank.R
source("tests/golden/_json.R")
source("tests/golden/_data.R")

lr_case <- function(name, dataset, by, strata = NULL, rho = 0) {
  df <- datasets[[dataset]]
  rhs <- if (is.null(strata)) by else paste0(by, " + strata(", strata, ")")
  fit <- survdiff(as.formula(paste("Surv(time, event) ~", rhs)), data = df, rho = rho)
  o <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  e <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  dfree <- sum(e > 0) - 1
  list(name = name, dataset = dataset, by = by, strata = strata, rho = rho,
       statistic = fit$chisq, df = dfree, p_value = pchisq(fit$chisq, dfree, lower.tail = FALSE),
       table = data.frame(group = strip_strata(names(fit$n)), n = as.vector(fit$n), observed = o, expected = e,
                          oe2_e = (o - e)^2 / e, oe2_v = (o - e)^2 / diag(fit$var)),
       var = lapply(seq_len(nrow(fit$var)), function(i) I(fit$var[i, ])))
}

trend_case <- function(name, dataset, by, scores = NULL, strata = NULL, rho = 0) {
  df <- datasets[[dataset]]
  rhs <- if (is.null(strata)) by else paste0(by, " + strata(", strata, ")")
  fit <- survdiff(as.formula(paste("Surv(time, event) ~", rhs)), data = df, rho = rho)
  o <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  e <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  s <- if (is.null(scores)) seq_along(o) else scores
  u <- sum(s * (o - e))
  v <- as.numeric(t(s) %*% fit$var %*% s)
  chi <- u^2 / v
  list(name = name, dataset = dataset, by = by, strata = strata, rho = rho,
       scores = if (is.null(scores)) NULL else I(scores), used_scores = I(s),
       groups = I(strip_strata(names(fit$n))), u = u, var = v,
       statistic = chi, df = 1, p_value = pchisq(chi, 1, lower.tail = FALSE))
}

cases <- list(
  lr_case("lung_sex", "lung", "sex"),
  lr_case("lung_sex_rho1", "lung", "sex", rho = 1),
  lr_case("lung_sex_strata_ecog", "lung", "sex", strata = "ph.ecog"),
  lr_case("lung_ecog", "lung", "ph.ecog"),
  lr_case("lung_ecog_strata_sex_rho05", "lung", "ph.ecog", strata = "sex", rho = 0.5),
  lr_case("veteran_trt", "veteran", "trt"),
  lr_case("veteran_celltype", "veteran", "celltype"),
  lr_case("veteran_celltype_strata_trt_rho1", "veteran", "celltype", strata = "trt", rho = 1),
  lr_case("ovarian_rx", "ovarian", "rx"),
  lr_case("random_grp", "random", "grp"),
  lr_case("random_grp_rho1", "random", "grp", rho = 1),
  lr_case("random_grp_strata", "random", "grp", strata = "stratum"),
  lr_case("random_grp_strata_rho2", "random", "grp", strata = "stratum", rho = 2)
)
names(cases) <- vapply(cases, function(x) x$name, "")
trend <- list(
  trend_case("lung_ecog", "lung", "ph.ecog"),
  trend_case("lung_ecog_scores", "lung", "ph.ecog", scores = c(0, 1, 2, 5)),
  trend_case("lung_ecog_strata_sex", "lung", "ph.ecog", strata = "sex"),
  trend_case("veteran_celltype", "veteran", "celltype"),
  trend_case("random_grp_strata", "random", "grp", strata = "stratum"),
  trend_case("ovarian_rx", "ovarian", "rx")
)
names(trend) <- vapply(trend, function(x) x$name, "")
write_json(list(cases = cases, trend = trend), "tests/golden/logrank.json")
