# Golden values for oncoseries.stats.firth (Firth-penalised Cox regression, Heinze & Schemper 2002).
#
# coxphf is not installable here, so the model is written from first principles:
#   penalised log-likelihood pl(b) = l(b) + 0.5 * log det I(b),
# where l(b) and I(b) = solve(var) come from survival::coxph evaluated at the fixed value b
# (init = b, iter.max = 0). pl is maximised by a Newton iteration on a numerical gradient
# (Richardson-extrapolated central differences), with I(b) as the curvature, to |gradient| < 1e-10.
# Profile penalised-likelihood CIs solve 2 * (pl(b_hat) - pl_profile(b_j)) = qchisq(0.95, 1) with
# uniroot; p-values are the penalised LR test of b_j = 0; the model LR test is 2 * (pl(b_hat) - pl(0)).
#
# Run from the repository root:  Rscript tests/golden/firth.R
# Writes tests/golden/firth.json and the generated data sets tests/data/firth/*.csv.
suppressPackageStartupMessages(library(survival))

num <- function(x) {
  x <- as.numeric(x)
  ifelse(is.na(x), "null", sprintf("%.17g", x))
}
jvec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
jstr <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")

# l(b) and I(b) at a fixed b
cox_at <- function(b, formula, data, ties) {
  f <- suppressWarnings(coxph(formula, data = data, init = b, ties = ties,
                              control = coxph.control(iter.max = 0)))
  list(loglik = f$loglik[2], info = solve(f$var))
}
pl_at <- function(b, formula, data, ties) {
  cx <- cox_at(b, formula, data, ties)
  cx$loglik + 0.5 * as.numeric(determinant(cx$info, logarithm = TRUE)$modulus)
}

num_grad <- function(fn, b, free, h) {
  g <- numeric(length(free))
  for (k in seq_along(free)) {
    j <- free[k]
    cd <- function(hh) {
      bp <- b; bm <- b
      bp[j] <- bp[j] + hh; bm[j] <- bm[j] - hh
      (fn(bp) - fn(bm)) / (2 * hh)
    }
    g[k] <- (4 * cd(h[j] / 2) - cd(h[j])) / 3  # Richardson: O(h^4)
  }
  g
}

# maximise pl over the coefficients in `free` (others held at their values in b)
maximise <- function(b, free, formula, data, ties, h, tol = 1e-10) {
  fn <- function(bb) pl_at(bb, formula, data, ties)
  for (it in 1:200) {
    g <- num_grad(fn, b, free, h)
    if (max(abs(g)) < tol) break
    info <- cox_at(b, formula, data, ties)$info[free, free, drop = FALSE]
    step <- solve(info, g)
    step <- step * min(1, 1 / max(abs(step)))  # cap the step at 1 on the coefficient scale
    cur <- fn(b)
    for (half in 0:30) {
      bn <- b
      bn[free] <- b[free] + step / 2^half
      if (fn(bn) >= cur - 1e-12) break
    }
    b <- bn
  }
  if (max(abs(g)) >= tol) warning("Newton did not reach |gradient| < ", tol, ": ", max(abs(g)))
  list(b = b, pl = fn(b), grad = max(abs(g)), iter = it)
}

firth_golden <- function(name, formula, data, ties, note) {
  ord <- suppressWarnings(coxph(formula, data = data, ties = ties))
  p <- length(coef(ord))
  b0 <- rep(0, p)
  h <- rep(1e-3, p)
  fit <- maximise(b0, seq_len(p), formula, data, ties, h)
  bhat <- fit$b
  info <- cox_at(bhat, formula, data, ties)$info
  se <- sqrt(diag(solve(info)))
  h <- pmax(1e-2 * se, 1e-5)
  fit <- maximise(bhat, seq_len(p), formula, data, ties, h)  # polish with scaled steps
  bhat <- fit$b
  plmax <- fit$pl
  crit <- qchisq(0.95, 1)
  prof <- function(j, v) {
    b <- bhat
    b[j] <- v
    if (p == 1) return(pl_at(b, formula, data, ties))
    # the profile value is stationary in the free coefficients: |gradient| < 1e-8 changes it by ~1e-16
    maximise(b, setdiff(seq_len(p), j), formula, data, ties, h, tol = 1e-8)$pl
  }
  lower <- upper <- chisq <- numeric(p)
  for (j in seq_len(p)) {
    f <- function(v) 2 * (plmax - prof(j, v)) - crit
    w <- 2 * se[j]
    while (f(bhat[j] - w) < 0) w <- 2 * w
    lower[j] <- uniroot(f, c(bhat[j] - w, bhat[j]), tol = 1e-11)$root
    w <- 2 * se[j]
    while (f(bhat[j] + w) < 0) w <- 2 * w
    upper[j] <- uniroot(f, c(bhat[j], bhat[j] + w), tol = 1e-11)$root
    chisq[j] <- 2 * (plmax - prof(j, 0))
  }
  lr <- 2 * (plmax - pl_at(b0, formula, data, ties))
  cat(sprintf("%-28s iter %d |grad| %.1e  coef %s\n", name, fit$iter, fit$grad,
              paste(sprintf("%.6f", bhat), collapse = " ")))
  fields <- c(
    sprintf('"name": "%s"', name),
    sprintf('"note": "%s"', note),
    sprintf('"ties": "%s"', ties),
    sprintf('"formula": "%s"', paste(deparse(formula), collapse = " ")),
    sprintf('"columns": %s', jstr(names(coef(ord)))),
    sprintf('"n": %d', ord$n),
    sprintf('"coxph_coef": %s', jvec(coef(ord))),
    sprintf('"coef": %s', jvec(bhat)),
    sprintf('"se": %s', jvec(se)),
    sprintf('"lower": %s', jvec(lower)),
    sprintf('"upper": %s', jvec(upper)),
    sprintf('"chisq": %s', jvec(chisq)),
    sprintf('"p": %s', jvec(pchisq(chisq, 1, lower.tail = FALSE))),
    sprintf('"pl_max": %s', num(plmax)),
    sprintf('"pl_null": %s', num(pl_at(b0, formula, data, ties))),
    sprintf('"lr": %s', num(lr)),
    sprintf('"lr_df": %d', p),
    sprintf('"lr_p": %s', num(pchisq(lr, p, lower.tail = FALSE)))
  )
  paste0("  {\n    ", paste(fields, collapse = ",\n    "), "\n  }")
}

dir.create("tests/data/firth", showWarnings = FALSE, recursive = TRUE)

# Generated data set with monotone likelihood: every event is in group g = 1.
set.seed(7)
n <- 30
sep <- data.frame(g = rep(0:1, each = n / 2), x = round(rnorm(n), 3))
sep$time <- round(rexp(n, rate = ifelse(sep$g == 1, 0.15, 0.05)), 2) + 0.5
sep$status <- ifelse(sep$g == 1, rbinom(n, 1, 0.7), 0)
write.csv(sep, "tests/data/firth/separation.csv", row.names = FALSE)
sep <- read.csv("tests/data/firth/separation.csv")

# Generated data set without separation, small n: Firth shrinks coxph's estimates a little.
set.seed(11)
n <- 40
ns <- data.frame(trt = rep(0:1, n / 2), z = round(rnorm(n), 3))
ns$time <- round(rexp(n, rate = 0.1 * exp(-0.9 * ns$trt + 0.6 * ns$z)), 1) + 0.1
ns$status <- rbinom(n, 1, 0.75)
write.csv(ns, "tests/data/firth/nosep.csv", row.names = FALSE)
ns <- read.csv("tests/data/firth/nosep.csv")

# lung subset: the first 60 complete cases of (time, status, age, sex, ph.ecog).
lung60 <- head(na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog")]), 60)

cases <- list(
  firth_golden("lung60_breslow", Surv(time, status) ~ age + sex + ph.ecog, lung60, "breslow",
               "lung: first 60 complete cases"),
  firth_golden("lung60_efron", Surv(time, status) ~ age + sex + ph.ecog, lung60, "efron",
               "lung: first 60 complete cases, Efron ties"),
  firth_golden("lung60_strata_breslow", Surv(time, status) ~ age + ph.ecog + strata(sex), lung60,
               "breslow", "lung: first 60 complete cases, strata(sex)"),
  firth_golden("separation_breslow", Surv(time, status) ~ g + x, sep, "breslow",
               "all events in g = 1: coxph diverges, Firth is finite"),
  firth_golden("separation_g_only", Surv(time, status) ~ g, sep, "breslow", "one covariate"),
  firth_golden("nosep_breslow", Surv(time, status) ~ trt + z, ns, "breslow",
               "no separation: Firth close to coxph, smaller in magnitude"),
  # fustat as a covariate forces monotone likelihood; SAS PROC PHREG (MODEL ... / FIRTH RISKLIMITS=PL)
  # output for this model is quoted in kaifenglu/trtswitch tests/testthat/test-phregr.R
  firth_golden("ovarian_rx_fustat", Surv(futime, fustat) ~ rx + fustat, ovarian, "breslow",
               "ovarian with fustat as covariate (monotone likelihood); cross-check with SAS PHREG FIRTH")
)

writeLines(c(
  "{",
  sprintf('"generator": "tests/golden/firth.R (R %s, survival %s)",',
          paste(R.version$major, R.version$minor, sep = "."), packageVersion("survival")),
  '"cases": [',
  paste(unlist(cases), collapse = ",\n"),
  "]}"
), "tests/golden/firth.json")
cat("wrote tests/golden/firth.json\n")
