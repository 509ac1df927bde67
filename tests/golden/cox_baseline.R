# Golden values for oncoseries.stats.cox_baseline: R survival 3.5-3 basehaz() and survfit.coxph().
# Run from the repository root:  Rscript tests/golden/cox_baseline.R
# Writes tests/golden/cox_baseline.json (full precision, "%.17g").
#
# Per case: basehaz(fit, centered = TRUE / FALSE); the Breslow-form (ctype = 1) hazard on the same
# fit, uncentred; survfit(fit, newdata = row, censor = FALSE) for two newdata rows (time, surv,
# cumhaz, std.err, log CI); and summary(survfit(fit, newdata = row), times = ...) at a few times.
# Also survival-peers.md section 2 items 8 (baseline hazard at t = 11 on lung) and 9 (concordance
# direction).
suppressPackageStartupMessages(library(survival))
stopifnot(as.character(packageVersion("survival")) == "3.5.3")
source("tests/golden/_json.R")

lung <- read.csv("tests/data/r-survival/lung.csv")
lung$dead <- as.integer(lung$status == 2)
lung$sexf <- ifelse(lung$sex == 1, "male", "female")
veteran <- read.csv("tests/data/r-survival/veteran.csv")
ovarian <- read.csv("tests/data/r-survival/ovarian.csv")
trunc <- read.csv("tests/data/cox/entry.csv")   # written by tests/golden/cox.R

bh <- function(b) list(strata = if (is.null(b$strata)) NULL else I(as.character(b$strata)),
                       time = I(b$time), hazard = I(b$hazard))

# uncentred cumulative hazard with the Breslow-form increments (ctype = 1), as basehaz does it
breslow_form <- function(fit) {
  sf <- survfit(fit, ctype = 1, se.fit = FALSE)
  zcoef <- ifelse(is.na(coef(fit)), 0, coef(fit))
  b <- data.frame(hazard = sf$cumhaz * exp(-sum(fit$means * zcoef)), time = sf$time)
  if (!is.null(sf$strata)) b$strata <- rep(names(sf$strata), sf$strata)
  bh(b)
}

curve <- function(fit, row, times) {
  sf <- survfit(fit, newdata = row, censor = FALSE)
  # summary() of R's default curve (censor = TRUE), which runs to the last follow-up time
  sm <- summary(survfit(fit, newdata = row), times = times)
  list(time = I(sf$time), surv = I(sf$surv), cumhaz = I(sf$cumhaz), std_err = I(sf$std.err),
       lower = I(sf$lower), upper = I(sf$upper),
       at = list(times = I(sm$time), surv = I(sm$surv), cumhaz = I(sm$cumhaz),
                 std_err = I(sm$std.err), lower = I(sm$lower), upper = I(sm$upper)))
}

case <- function(fit, newdata, times) {
  out <- list(
    ties = fit$method,
    coef = I(unname(coef(fit))),
    means = I(unname(fit$means)),
    centered = bh(basehaz(fit, centered = TRUE)),
    uncentered = bh(basehaz(fit, centered = FALSE)),
    breslow_form_uncentered = breslow_form(fit),
    newdata = lapply(newdata, I),
    times = I(times),
    predict = lapply(seq_len(nrow(newdata)), function(i) curve(fit, newdata[i, , drop = FALSE], times))
  )
  out
}

L3 <- Surv(time, dead) ~ age + sex + ph.ecog
nd_lung <- data.frame(age = c(55, 70), sex = c(1, 2), ph.ecog = c(0, 2))
nd_vet <- data.frame(karno = c(60, 80), trt = c(1, 2), prior = c(0, 10),
                     celltype = c("adeno", "squamous"))
nd_ov <- data.frame(rx = c(1, 2), age = c(50.5, 65))
nd_sexf <- data.frame(age = c(55, 70), sexf = c("male", "female"))
nd_entry <- data.frame(x = c(-0.5, 1.2), g = c(0, 1))
nd_two <- data.frame(age = c(55, 70), sex = c(1, 2), ph.ecog = c(0, 1))
tl <- c(30, 180, 365, 730)

cases <- list(
  lung_efron = case(coxph(L3, data = lung), nd_lung, tl),
  lung_breslow = case(coxph(L3, data = lung, ties = "breslow"), nd_lung, tl),
  lung_robust = case(coxph(L3, data = lung, robust = TRUE), nd_lung, tl),
  lung_sexf = case(coxph(Surv(time, dead) ~ age + sexf, data = lung), nd_sexf, tl),
  lung_strata2 = case(coxph(Surv(time, dead) ~ age + strata(sex, ph.ecog), data = lung),
                      nd_two[, c("age", "sex", "ph.ecog")], c(30, 180, 365)),
  veteran_strata_efron = case(coxph(Surv(time, status) ~ karno + trt + prior + strata(celltype),
                                    data = veteran), nd_vet, c(10, 50, 100, 200)),
  veteran_strata_breslow = case(coxph(Surv(time, status) ~ karno + trt + prior + strata(celltype),
                                      data = veteran, ties = "breslow"), nd_vet, c(10, 50, 100, 200)),
  ovarian_efron = case(coxph(Surv(futime, fustat) ~ rx + age, data = ovarian), nd_ov, c(100, 365, 700)),
  ovarian_breslow = case(coxph(Surv(futime, fustat) ~ rx + age, data = ovarian, ties = "breslow"),
                         nd_ov, c(100, 365, 700)),
  entry_efron = case(coxph(Surv(entry, time, status) ~ x + g, data = trunc), nd_entry, c(3, 8, 15)),
  entry_breslow = case(coxph(Surv(entry, time, status) ~ x + g, data = trunc, ties = "breslow"),
                       nd_entry, c(3, 8, 15))
)

# ---- survival-peers.md 2.8: which model gives 0.011118183 at t = 11 (3 tied deaths) ----
item8 <- list()
for (nm in c("age_sex_ph.ecog", "sex")) {
  f <- if (nm == "sex") Surv(time, dead) ~ sex else L3
  fit <- coxph(f, data = lung)
  b <- basehaz(fit, centered = FALSE)
  br <- breslow_form(fit)
  item8[[nm]] <- list(efron_uncentered_t11 = b$hazard[b$time == 11],
                      breslow_form_uncentered_t11 = br$hazard[br$time == 11],
                      deaths_t11 = sum(lung$dead[lung$time == 11]))
}
stopifnot(abs(item8$age_sex_ph.ecog$efron_uncentered_t11 - 0.011118183) < 5e-10)

# ---- survival-peers.md 2.9: concordance direction ----
fit_sex <- coxph(Surv(time, dead) ~ sex, data = lung)
lp <- predict(fit_sex, type = "lp")
item9 <- list(
  coef_sex = unname(coef(fit_sex)),
  fit_concordance = unname(fit_sex$concordance["concordance"]),
  # the fitted risk score: a higher linear predictor predicts a shorter survival (reverse = TRUE)
  lp_reverse = unname(concordance(Surv(time, dead) ~ lp, data = lung, reverse = TRUE)$concordance),
  # the same score read as a predicted survival time (larger = longer): 1 - C
  lp_forward = unname(concordance(Surv(time, dead) ~ lp, data = lung)$concordance)
)
stopifnot(abs(item9$fit_concordance - item9$lp_reverse) < 1e-12, item9$fit_concordance > 0.5)

write_json(list(cases = cases, item8 = item8, item9 = item9), "tests/golden/cox_baseline.json")
