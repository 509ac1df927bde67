# Independent base-R implementations of the trial-design formulas that have no R package on Debian
# (gsDesign and clinfun are not packaged): Lachin-Foulkes patients as gsDesign nSurv (method
# "LachinFoulkes"), Simon's two-stage designs by brute-force enumeration, A'Hern's single-stage design and
# the one-sample log-rank sample size (Wu 2015 moments). The event probability is written here as one
# integral over follow-up time, P = int_0^T lambda(t) S(t) exp(-eta t) F_enrol(T - t) dt, not as the
# Python code's integral over entry time. Run from the repo root:
#   Rscript tests/golden/design_formulas.R -> design_formulas.json
source("tests/golden/_json.R")

haz <- function(t, starts, rates) rates[findInterval(t, starts)]
cumhaz <- function(t, starts, rates) {
  ends <- c(starts[-1], Inf)
  vapply(t, function(x) sum(pmin(pmax(x - starts, 0), ends - starts) * rates), 0)
}
enrolled <- function(x, dur, rate) {                 # share enrolled by time x (piecewise uniform)
  starts <- c(0, cumsum(dur)[-length(dur)]); dens <- rate / sum(rate * dur)
  vapply(x, function(v) sum(pmin(pmax(v - starts, 0), dur) * dens), 0)
}
integrate_pieces <- function(f, lo, hi, cuts) {
  pts <- sort(unique(c(lo, hi, cuts[cuts > lo & cuts < hi])))
  sum(vapply(seq_len(length(pts) - 1), function(i)
    integrate(f, pts[i], pts[i + 1], rel.tol = 1e-13, abs.tol = 0, subdivisions = 1000L)$value, 0))
}
p_event <- function(starts, rates, dur, rate, fu, eta) {
  T <- sum(dur) + fu
  f <- function(t) haz(t, starts, rates) * exp(-cumhaz(t, starts, rates) - eta * t) * enrolled(T - t, dur, rate)
  integrate_pieces(f, 0, T, c(starts, T - cumsum(dur), fu))
}
lachin_foulkes <- function(hr, starts, rates, dur, rate, fu, eta, alpha, sides, power, ratio) {
  qe <- ratio / (1 + ratio); qc <- 1 - qe
  pc <- p_event(starts, rates, dur, rate, fu, eta)
  pe <- p_event(starts, rates * hr, dur, rate, fu, eta)
  p0 <- p_event(starts, rates * (1 + hr * ratio) / (1 + ratio), dur, rate, fu, eta)
  za <- qnorm(1 - alpha / sides); zb <- qnorm(power)
  n <- ((za * sqrt(1 / (qc * p0) + 1 / (qe * p0)) + zb * sqrt(1 / (qc * pc) + 1 / (qe * pe))) / abs(log(hr)))^2
  list(patients = n, events = n * (qc * pc + qe * pe), p_control = pc, p_experimental = pe)
}
lf <- list(
  list(hr = 0.67, starts = 0, rates = log(2) / 6, dur = 24, rate = 1, fu = 12, eta = 0, alpha = 0.05, sides = 2,
       power = 0.8, ratio = 1),
  list(hr = 0.5, starts = 0, rates = log(2) / 12, dur = 18, rate = 1, fu = 6, eta = 0.01, alpha = 0.025, sides = 1,
       power = 0.9, ratio = 1),
  list(hr = 0.67, starts = c(0, 6, 12), rates = c(0.1, 0.05, 0.08), dur = c(6, 18), rate = c(1, 2), fu = 12,
       eta = -log(0.9) / 12, alpha = 0.05, sides = 2, power = 0.8, ratio = 1),
  list(hr = 0.7, starts = c(0, 3, 9), rates = c(0.2, 0.12, 0.06), dur = c(4, 8, 8), rate = c(0.5, 1, 1.5),
       fu = 9, eta = 0.004, alpha = 0.05, sides = 2, power = 0.85, ratio = 2))
lf <- lapply(lf, function(s) {
  r <- do.call(lachin_foulkes, s)
  c(s, r)
})
lf <- lapply(lf, function(s) { for (nm in c("starts", "rates", "dur", "rate")) s[[nm]] <- I(s[[nm]]); s })

# Simon (1989): every (n1, r1, r) for each n <= nmax; alpha = P(reject | p0), power = P(reject | p1)
simon <- function(p0, p1, alpha, beta, nmax) {
  best <- NULL
  for (n in 2:nmax) for (n1 in 1:(n - 1)) {
    n2 <- n - n1
    for (r1 in 0:(n1 - 1)) {
      x1 <- (r1 + 1):n1
      r <- (r1 + 1):(n - 1)
      rej <- function(p) vapply(r, function(rr) sum(dbinom(x1, n1, p) * pbinom(rr - x1, n2, p, lower.tail = FALSE)), 0)
      a <- rej(p0); pw <- rej(p1)
      ok <- a <= alpha & pw >= 1 - beta
      if (!any(ok)) next
      pet <- pbinom(r1, n1, p0)
      en <- n1 + (1 - pet) * n2
      rr <- r[ok][1]
      best <- rbind(best, c(n = n, n1 = n1, r1 = r1, r = rr, en0 = en, pet0 = pet))
    }
  }
  best <- as.data.frame(best)
  minimax <- best[best$n == min(best$n), ]
  minimax <- minimax[order(minimax$en0, minimax$n1, minimax$r1), ][1, ]
  optimal <- best[order(round(best$en0, 10), best$n, best$n1, best$r1), ][1, ]
  list(optimal = as.list(optimal), minimax = as.list(minimax))
}
sim_cases <- list(c(0.1, 0.3, 0.05, 0.2), c(0.2, 0.4, 0.05, 0.2), c(0.05, 0.25, 0.1, 0.1), c(0.1, 0.3, 0.05, 0.1),
                  c(0.3, 0.5, 0.05, 0.2), c(0.15, 0.35, 0.1, 0.2))
simon_out <- lapply(sim_cases, function(x) c(list(p0 = x[1], p1 = x[2], alpha = x[3], beta = x[4], nmax = 60),
                                            simon(x[1], x[2], x[3], x[4], 60)))

# A'Hern (2001): smallest n with r such that P(X >= r | p0) <= alpha and P(X >= r | p1) >= 1 - beta
ahern <- function(p0, p1, alpha, beta) {
  for (n in 1:1000) for (r in 0:n) {
    if (pbinom(r - 1, n, p0, lower.tail = FALSE) <= alpha) {
      if (pbinom(r - 1, n, p1, lower.tail = FALSE) >= 1 - beta) return(list(n = n, r = r))
      break
    }
  }
}
ah_cases <- expand.grid(p0 = c(0.05, 0.1, 0.2, 0.3), d = c(0.15, 0.2), alpha = c(0.05, 0.1), beta = c(0.1, 0.2))
ah_cases$p1 <- ah_cases$p0 + ah_cases$d
ah <- t(mapply(function(p0, p1, a, b) unlist(ahern(p0, p1, a, b)), ah_cases$p0, ah_cases$p1, ah_cases$alpha, ah_cases$beta))
ah_out <- list(p0 = I(ah_cases$p0), p1 = I(ah_cases$p1), alpha = I(ah_cases$alpha), power = I(1 - ah_cases$beta),
               n = I(ah[, 1]), r = I(ah[, 2]))

# One-sample log-rank (Wu 2015 moments): experimental S0(t)^hr, censoring by uniform/piecewise entry and dropout
one_sample <- function(hr, starts, rates, dur, rate, fu, eta, alpha, power) {
  T <- sum(dur) + fu
  cuts <- c(starts, T - cumsum(dur), fu)
  g <- function(t) enrolled(T - t, dur, rate) * exp(-eta * t) * exp(-hr * cumhaz(t, starts, rates))
  I1 <- function(h) integrate_pieces(h, 0, T, cuts)
  q1 <- I1(function(t) g(t) * hr * haz(t, starts, rates))
  e1 <- I1(function(t) g(t) * haz(t, starts, rates))
  mdl <- I1(function(t) g(t) * hr * haz(t, starts, rates) * cumhaz(t, starts, rates))
  ml2 <- I1(function(t) g(t) * 2 * haz(t, starts, rates) * cumhaz(t, starts, rates))
  v1 <- q1 - 2 * mdl + ml2 - (q1 - e1)^2
  n <- (qnorm(1 - alpha) * sqrt(e1) + qnorm(power) * sqrt(v1))^2 / (e1 - q1)^2
  list(n = n, q1 = q1, e1 = e1)
}
os <- list(
  list(hr = 0.67, starts = 0, rates = log(2) / 6, dur = 24, rate = 1, fu = 12, eta = 0, alpha = 0.05, power = 0.8),
  list(hr = 0.5, starts = c(0, 6, 12), rates = c(0.1, 0.05, 0.08), dur = 12, rate = 1, fu = 24, eta = 0.005,
       alpha = 0.025, power = 0.9),
  list(hr = 0.75, starts = c(0, 4), rates = c(0.15, 0.07), dur = c(6, 12), rate = c(1, 3), fu = 18, eta = 0,
       alpha = 0.05, power = 0.8))
os <- lapply(os, function(s) { r <- do.call(one_sample, s)
  for (nm in c("starts", "rates", "dur", "rate")) s[[nm]] <- I(s[[nm]]); c(s, r) })

write_json(list(lachin_foulkes = lf, simon = simon_out, ahern = ah_out, one_sample = os),
           "tests/golden/design_formulas.json")
