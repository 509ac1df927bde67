# Goldens for oncoseries.compare: the one-sample log-rank test by its formula (Breslow 1975; Finkelstein,
# Muzikansky & Schoenfeld 2003): O = events, E = sum of the reference cumulative hazard at each follow-up time,
# chi-square (O - E)^2 / E on 1 df; SMR = O / E with poisson.test(O, E)'s exact CI and P; binom.test of a rate
# against a benchmark. Run from the repo root: Rscript tests/golden/compare.R -> compare.json
source("tests/golden/_json.R")
source("tests/golden/_data.R")

one_sample <- function(t, ev, H) {
  O <- sum(ev); E <- sum(H(t)); pt <- poisson.test(O, E)
  list(observed = O, expected = E, statistic = (O - E)^2 / E, p_value = pchisq((O - E)^2 / E, 1, lower.tail = FALSE),
       smr = O / E, smr_lower = pt$conf.int[1], smr_upper = pt$conf.int[2], p_exact = pt$p.value,
       smr_lower90 = poisson.test(O, E, conf.level = 0.9)$conf.int[1],
       smr_upper90 = poisson.test(O, E, conf.level = 0.9)$conf.int[2])
}
cases <- list()
# exponential from a median of 300 days
rate <- log(2) / 300
cases$exponential <- c(list(data = "lung", median = 300), one_sample(lung$time, lung$event, function(t) rate * t))
# Weibull through S(200) = 0.6 and S(500) = 0.25
k <- (log(-log(0.25)) - log(-log(0.6))) / (log(500) - log(200)); b <- 200 / (-log(0.6))^(1 / k)
cases$weibull <- c(list(data = "lung", t1 = 200, s1 = 0.6, t2 = 500, s2 = 0.25, shape = k, scale = b),
                   one_sample(lung$time, lung$event, function(t) (t / b)^k))
# piecewise exponential through S(100) = 0.85, S(300) = 0.5, S(600) = 0.2; the last hazard continues
kt <- c(0, 100, 300, 600); kh <- -log(c(1, 0.85, 0.5, 0.2)); last <- (kh[4] - kh[3]) / (kt[4] - kt[3])
pw <- function(t) ifelse(t > 600, kh[4] + last * (t - 600), approx(kt, kh, xout = pmin(t, 600))$y)
cases$piecewise <- c(list(data = "lung"), one_sample(lung$time, lung$event, pw))
# reference IPD: lung, women (sex 2); series: veteran. Nelson-Aalen step function (survfit's cumhaz),
# extended past the reference's last follow-up by its events / person-time.
ref <- lung[lung$sex == 2, ]
fit <- survfit(Surv(time, event) ~ 1, data = ref)
ev_t <- fit$time[fit$n.event > 0]; ev_h <- fit$cumhaz[fit$n.event > 0]
lastfu <- max(ref$time); r <- sum(ref$event) / sum(ref$time)
na <- function(t) ifelse(t > lastfu, ev_h[length(ev_h)] + r * (t - lastfu),
                         approx(c(0, ev_t), c(0, ev_h), xout = t, method = "constant", f = 0, rule = 2)$y)
cases$ipd <- c(list(data = "veteran", reference = "lung sex 2", n_beyond = sum(veteran$time > lastfu),
                    ref_median = unname(summary(fit)$table["median"])),
               one_sample(veteran$time, veteran$event, na))
# exact Poisson P (poisson.test) on a grid, including x far below and above m
pg <- expand.grid(x = c(0, 1, 3, 7, 12, 30), m = c(0.5, 2.3, 7, 11.9, 30.4))
pg$p <- mapply(function(x, m) poisson.test(x, m)$p.value, pg$x, pg$m)
# binom.test of a rate against a benchmark
bg <- expand.grid(x = c(0, 3, 9, 14, 40), n = c(20, 51, 120), p0 = c(0.1, 0.2, 0.35), alt = c("two.sided", "greater", "less"),
                  stringsAsFactors = FALSE)
bg <- bg[bg$x <= bg$n, ]
bt <- lapply(seq_len(nrow(bg)), function(i) binom.test(bg$x[i], bg$n[i], bg$p0[i], alternative = bg$alt[i]))
write_json(list(cases = cases,
                poisson = list(x = I(pg$x), m = I(pg$m), p = I(pg$p)),
                binom = list(x = I(bg$x), n = I(bg$n), p0 = I(bg$p0), alternative = I(bg$alt),
                             p = I(sapply(bt, function(b) b$p.value)),
                             lower = I(sapply(bt, function(b) b$conf.int[1])),
                             upper = I(sapply(bt, function(b) b$conf.int[2])))),
           "tests/golden/compare.json")
