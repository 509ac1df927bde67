# Goldens for issue 14 (biomarkers): p.adjust (BH, Holm), glm logistic, Firth logistic (an independent
# R implementation: r-cran-logistf is not in Debian), maxstat (R package maxstat, Debian r-cran-maxstat).
# Run from the repository root: Rscript tests/golden/markers.R  -> tests/golden/markers.json
source("tests/golden/_json.R")
suppressMessages({library(survival); library(maxstat)})
stopifnot(as.character(packageVersion("maxstat")) == "0.7.25")

# --- p.adjust ------------------------------------------------------------------------------------------
pvecs <- list(
  c(0.01, 0.02, 0.03, 0.04, 0.05),
  c(0.2, 0.001, 0.04, 0.04, 0.7, 0.012, 0.9, 0.3),            # ties
  c(0.5, NA, 0.02, 0.0004, NA, 0.049),                          # missing stay missing
  c(1, 1, 0.99),
  c(0.03),
  c(0.8, 0.0001, 0.0002, 0.6, 0.011, 0.25, 0.03, 0.03, 0.5, 0.97, 0.0099, 0.2)
)
padjust <- lapply(pvecs, function(p) list(p = I(p), BH = I(p.adjust(p, "BH")), holm = I(p.adjust(p, "holm"))))

# --- logistic data sets (drawn here, written to the JSON for the Python tests) ---------------------------
set.seed(14)
n <- 60
x1 <- round(rnorm(n, 100, 40))
grp <- sample(c("a", "b", "c"), n, replace = TRUE, prob = c(.4, .35, .25))
y1 <- rbinom(n, 1, plogis(-2 + 0.015 * x1 + ifelse(grp == "b", 0.8, ifelse(grp == "c", -0.5, 0))))
sets <- list(
  numeric = list(y = y1, X = cbind(1, x1), names = c("(Intercept)", "x")),
  categorical = list(y = y1, X = cbind(1, grp == "b", grp == "c"), names = c("(Intercept)", "grpb", "grpc")),
  both = list(y = y1, X = cbind(1, x1, grp == "b", grp == "c"), names = c("(Intercept)", "x", "grpb", "grpc")),
  # separation: every responder above every non-responder (complete), a level without responders (quasi)
  separated_numeric = list(y = c(0, 0, 0, 0, 0, 1, 1, 1), X = cbind(1, c(1, 2, 3, 4, 5, 6, 7, 8)),
                           names = c("(Intercept)", "x")),
  empty_level = list(y = c(0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0),
                     X = cbind(1, c(1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)), names = c("(Intercept)", "lev")),
  few_events = list(y = c(1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0),
                    X = cbind(1, c(1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)),
                    names = c("(Intercept)", "lev"))
)

# --- glm ------------------------------------------------------------------------------------------------
glm_fit <- function(s) {
  X <- s$X; colnames(X) <- s$names          # distinct names (confint.default indexes by name)
  f <- glm(s$y ~ X - 1, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
  sm <- summary(f)$coefficients
  ci <- confint.default(f)
  list(coef = I(unname(sm[, 1])), se = I(unname(sm[, 2])), z = I(unname(sm[, 3])), p = I(unname(sm[, 4])),
       lower = I(unname(exp(ci[, 1]))), upper = I(unname(exp(ci[, 2]))), loglik = as.numeric(logLik(f)))
}

# --- Firth logistic, written independently of oncoseries (penalised log-likelihood and modified score);
# profile limits by uniroot on the constrained optimum
pl_fun <- function(b, X, y) {
  eta <- drop(X %*% b); p <- plogis(eta)
  I <- crossprod(X * sqrt(p * (1 - p)))
  sum(dbinom(y, 1, p, log = TRUE)) + 0.5 * determinant(I, logarithm = TRUE)$modulus[1]
}
pl_grad <- function(b, X, y) {
  eta <- drop(X %*% b); p <- plogis(eta)
  Xw <- X * sqrt(p * (1 - p))
  h <- rowSums(Xw %*% solve(crossprod(Xw)) * Xw)              # hat-matrix diagonal
  drop(crossprod(X, y - p + h * (0.5 - p)))
}
maximise <- function(b, X, y, free) {
  # Newton-Raphson on the free coefficients (curvature X'WX), step-halving while pl falls (logistf's
  # algorithm, coded here from the formulas, not from logistf or oncoseries)
  cur <- pl_fun(b, X, y)
  for (k in 1:500) {
    p <- plogis(drop(X %*% b))
    I <- crossprod(X * sqrt(p * (1 - p)))[free, free, drop = FALSE]
    step <- tryCatch(solve(I, pl_grad(b, X, y)[free]), error = function(e) NULL)
    if (is.null(step)) { cur <- -Inf; break }             # information singular: pl is -Inf out here
    if (max(abs(step)) > 5) step <- step * 5 / max(abs(step))
    for (h in 1:60) {
      nb <- b; nb[free] <- b[free] + step
      new <- tryCatch(pl_fun(nb, X, y), error = function(e) -Inf)
      if (is.finite(new) && new >= cur - 1e-13 * max(1, abs(cur))) break
      step <- step / 2
    }
    if (!is.finite(new) || new < cur - 1e-13 * max(1, abs(cur))) break
    b <- nb; cur <- new
    if (max(abs(step)) < 1e-14) break
  }
  list(b = b, pl = cur)
}
firth_fit <- function(s) {
  X <- s$X; y <- s$y; k <- ncol(X)
  m <- maximise(rep(0, k), X, y, seq_len(k))
  crit <- qchisq(0.95, 1)
  prof <- function(j, v) { b <- m$b; b[j] <- v; maximise(b, X, y, setdiff(seq_len(k), j))$pl }
  lim <- function(j, side) {
    g <- function(v) 2 * (m$pl - prof(j, v)) - crit
    w <- 1; while (g(m$b[j] + side * w) < 0 && w < 1e4) w <- 2 * w
    uniroot(g, sort(c(m$b[j], m$b[j] + side * w)), tol = 1e-13)$root
  }
  p <- sapply(seq_len(k), function(j) pchisq(2 * (m$pl - prof(j, 0)), 1, lower.tail = FALSE))
  list(coef = I(m$b), lower = I(exp(sapply(seq_len(k), lim, side = -1))),
       upper = I(exp(sapply(seq_len(k), lim, side = 1))), p = I(p), loglik = m$pl,
       gradient_max = max(abs(pl_grad(m$b, X, y))))
}
logistic <- lapply(names(sets), function(nm) {
  s <- sets[[nm]]
  out <- list(name = nm, y = I(s$y), X = lapply(seq_len(nrow(s$X)), function(i) I(unname(s$X[i, ]))),
              names = I(s$names), firth = firth_fit(s))
  if (!nm %in% c("separated_numeric", "empty_level")) out$glm <- glm_fit(s)   # no ML estimate under separation
  out
})

# --- maxstat: maximally selected log-rank statistics ------------------------------------------------------
data(DLBCL)   # Alizadeh et al. 2000 via maxstat (GPL-2); the package's own example (Hothorn & Lausen 2003)
ms <- function(time, event, x) {
  d <- data.frame(time = time, event = event, x = x)
  a <- maxstat.test(Surv(time, event) ~ x, data = d, smethod = "LogRank", pmethod = "Lau92")
  b <- maxstat.test(Surv(time, event) ~ x, data = d, smethod = "LogRank", pmethod = "Lau94")
  list(time = I(time), event = I(event), x = I(x), statistic = unname(a$statistic),
       cutpoint = unname(a$estimate), p_lau92 = a$p.value, p_lau94 = unname(b$p.value),
       cuts = I(unname(a$cuts)), stats = I(unname(a$stats)))
}
set.seed(2020)
t2 <- round(rexp(45, 1 / 300)); e2 <- rbinom(45, 1, 0.7); x2 <- round(runif(45, 0, 300) / 5) * 5  # ties
t3 <- round(rexp(30, 1 / 200)) + 1; e3 <- rbinom(30, 1, 0.8); x3 <- c(rep(0, 8), round(rnorm(22, 10, 3), 1))
t3[c(3, 7, 11)] <- t3[c(4, 8, 12)]                            # tied times
dl <- DLBCL[complete.cases(DLBCL[, c("time", "cens", "MGE")]), ]
maxstat_cases <- list(dlbcl = ms(dl$time, dl$cens, dl$MGE), ties = ms(t2, e2, x2),
                      zeros = ms(t3, e3, x3))

# --- the bundled hdifo example: odds ratios, REMARK hazard ratios, maxstat cut-points, BH over its 21 tests
# (outcomes as oncoseries derives them: tests/golden/association_hdifo.csv; markers recoded here)
source("tests/golden/_hdifo_markers.R")
hm <- hdifo_markers(); d <- hm$d; markers <- hm$markers
hd <- list(); pvals <- c()
for (mk in markers) {
  x <- d[[mk]]; numeric <- is.numeric(x)
  r <- d[!is.na(d$responder) & !is.na(x), ]
  res <- list()
  if (numeric) {
    X <- cbind(1, r[[mk]]); iqr <- IQR(r[[mk]])
    g <- glm_fit(list(y = r$responder, X = X, names = c("(Intercept)", mk)))
    res$or <- list(method = "ml", coef = g$coef[2], lower = g$lower[2], upper = g$upper[2], p = g$p[2],
                   iqr = iqr, or_iqr = exp(g$coef[2] * iqr))
    pvals <- c(pvals, wilcox.test(r[[mk]][r$responder == 1], r[[mk]][r$responder == 0], exact = FALSE)$p.value)
  } else {
    lev <- sort(unique(r[[mk]]))
    X <- cbind(1, sapply(lev[-1], function(l) as.numeric(r[[mk]] == l)))
    few <- any(tapply(r$responder, r[[mk]], sum) < 5) || any(tapply(r$responder, r[[mk]], mean) %in% c(0, 1))
    fit <- if (few) firth_fit(list(y = r$responder, X = X)) else glm_fit(list(y = r$responder, X = X, names = c("a", lev[-1])))
    res$or <- list(method = if (few) "firth" else "ml", reference = lev[1], coef = I(fit$coef[-1]),
                   lower = I(fit$lower[-1]), upper = I(fit$upper[-1]), p = I(fit$p[-1]))
    pvals <- c(pvals, fisher.test(table(r[[mk]], r$responder))$p.value)
  }
  for (ep in c("PFS", "OS")) {
    tt <- paste0(tolower(ep), "_time"); ee <- paste0(tolower(ep), "_event")
    s <- d[!is.na(x), ]
    f <- as.formula(sprintf("Surv(%s, %s) ~ %s", tt, ee, mk))
    cf <- summary(coxph(f, data = s))$coefficients
    ci <- exp(confint(coxph(f, data = s)))
    res[[ep]] <- list(hr = I(unname(exp(cf[, "coef"]))), lower = I(unname(ci[, 1])), upper = I(unname(ci[, 2])),
                      p_wald = I(unname(cf[, "Pr(>|z|)"])))
    if (numeric) {
      m <- maxstat.test(f, data = s, smethod = "LogRank", pmethod = "Lau92")
      res[[ep]]$cutpoint <- unname(m$estimate); res[[ep]]$statistic <- unname(m$statistic)
      res[[ep]]$p_lau92 <- m$p.value
      pvals <- c(pvals, cf[1, "Pr(>|z|)"])
    } else {
      sd <- survdiff(f, data = s)
      pvals <- c(pvals, pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))
    }
  }
  hd[[mk]] <- res
}
hdifo <- list(markers = hd, p = I(unname(pvals)), bh = I(p.adjust(pvals, "BH")), holm = I(p.adjust(pvals, "holm")))

write_json(list(r_version = R.version.string, padjust = padjust, logistic = logistic,
                maxstat = maxstat_cases, hdifo = hdifo), "tests/golden/markers.json")
