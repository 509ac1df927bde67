# Goldens for oncoseries.stats.rmst: R's restricted mean and its se from print(survfit, rmean=tau)
# (survival:::survmean). Run from the repo root: Rscript tests/golden/rmst.R -> tests/golden/rmst.json
source("tests/golden/_json.R")
source("tests/golden/_data.R")

rmst_case <- function(name, dataset, by, tau, conf.int = 0.95) {
  df <- datasets[[dataset]]
  fit <- survfit(surv_formula(by), data = df)
  m <- survival:::survmean(fit, rmean = tau)$matrix
  if (!is.matrix(m)) m <- matrix(m, nrow = 1, dimnames = list(NULL, names(m)))
  groups <- if (is.null(fit$strata)) "all" else strip_strata(names(fit$strata))
  z <- qnorm(1 - (1 - conf.int) / 2)
  out <- data.frame(group = groups, rmst = m[, "rmean"], se = m[, "se(rmean)"])
  out$lower <- out$rmst - z * out$se
  out$upper <- out$rmst + z * out$se
  res <- list(name = name, dataset = dataset, by = by, tau = tau, conf_level = conf.int, rmst = out)
  if (length(groups) == 2) {
    d <- out$rmst[2] - out$rmst[1]
    se <- sqrt(out$se[1]^2 + out$se[2]^2)
    res$difference <- list(group = groups[2], reference = groups[1], difference = d, se = se,
                           lower = d - z * se, upper = d + z * se, z = d / se, p = 2 * pnorm(-abs(d / se)))
  }
  res
}

cases <- list(
  rmst_case("lung_sex_365", "lung", "sex", 365),
  rmst_case("lung_sex_730", "lung", "sex", 730),
  rmst_case("lung_sex_11", "lung", "sex", 11),
  rmst_case("lung_sex_1100", "lung", "sex", 1100),
  rmst_case("lung_all_365", "lung", NULL, 365),
  rmst_case("lung_sex_365_90", "lung", "sex", 365, conf.int = 0.90),
  rmst_case("veteran_trt_100", "veteran", "trt", 100),
  rmst_case("veteran_trt_400", "veteran", "trt", 400),
  rmst_case("ovarian_rx_500", "ovarian", "rx", 500),
  rmst_case("random_grp_10", "random", "grp", 10),
  rmst_case("random_grp_0.25", "random", "grp", 0.25),
  rmst_case("random_grp_3.3", "random", "grp", 0.1 * 33)
)
names(cases) <- vapply(cases, function(x) x$name, "")
write_json(list(cases = cases), "tests/golden/rmst.json")
