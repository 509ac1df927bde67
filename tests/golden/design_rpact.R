# Goldens for oncoseries.design (events, events-driven patients, Lan-DeMets boundaries) from rpact
# (Debian: apt-get install r-cran-rpact; CI does not need it, the JSON is committed).
# Run from the repo root: Rscript tests/golden/design_rpact.R -> design_rpact.json
suppressMessages(library(rpact))
source("tests/golden/_json.R")

# 1. Events: Schoenfeld and Freedman, fixed design
ev <- expand.grid(hr = c(0.5, 0.6, 0.67, 0.75, 1.3), alpha = c(0.05, 0.025), sides = c(1, 2),
                  power = c(0.8, 0.9), ratio = c(1, 2), method = c("Schoenfeld", "Freedman"),
                  stringsAsFactors = FALSE)
ev$events <- mapply(function(hr, alpha, sides, power, ratio, method) {
  d <- getDesignGroupSequential(kMax = 1, alpha = alpha, beta = 1 - power, sided = sides)
  getSampleSizeSurvival(d, hazardRatio = hr, lambda2 = log(2) / 6, allocationRatioPlanned = ratio,
                        typeOfComputation = method, accrualTime = c(0, 24), followUpTime = 12)$maxNumberOfEvents
}, ev$hr, ev$alpha, ev$sides, ev$power, ev$ratio, ev$method)

# 2. Patients for the events (events / P(event)): accrual, follow-up, dropout, piecewise hazards
sc <- list(
  list(name = "exp", hr = 0.67, starts = 0, rates = log(2) / 6, acc_dur = 24, acc_rate = 1, fu = 12,
       drop = 0, drop_time = 12, ratio = 1, alpha = 0.05, sides = 2, power = 0.8),
  list(name = "exp_dropout", hr = 0.67, starts = 0, rates = log(2) / 6, acc_dur = 24, acc_rate = 1, fu = 12,
       drop = 0.1, drop_time = 12, ratio = 1, alpha = 0.05, sides = 2, power = 0.8),
  list(name = "pwexp_pwaccrual", hr = 0.67, starts = c(0, 6, 12), rates = c(0.1, 0.05, 0.08),
       acc_dur = c(6, 18), acc_rate = c(1, 2), fu = 12, drop = 0.1, drop_time = 12, ratio = 1,
       alpha = 0.05, sides = 2, power = 0.8),
  list(name = "ratio2_onesided", hr = 0.6, starts = c(0, 3, 9), rates = c(0.2, 0.12, 0.06),
       acc_dur = 18, acc_rate = 1, fu = 6, drop = 0.05, drop_time = 12, ratio = 2, alpha = 0.025,
       sides = 1, power = 0.9))
pt <- lapply(sc, function(s) {
  d <- getDesignGroupSequential(kMax = 1, alpha = s$alpha, beta = 1 - s$power, sided = s$sides)
  acc_time <- c(0, cumsum(s$acc_dur))
  intensity <- s$acc_rate / (10 * max(s$acc_rate))          # all < 1: relative intensities in rpact
  args <- list(d, hazardRatio = s$hr, allocationRatioPlanned = s$ratio, accrualTime = acc_time,
               accrualIntensity = intensity, followUpTime = s$fu, typeOfComputation = "Schoenfeld")
  if (length(s$starts) > 1) { args$piecewiseSurvivalTime <- s$starts; args$lambda2 <- s$rates }
  else args$lambda2 <- s$rates
  if (s$drop > 0) { args$dropoutRate1 <- s$drop; args$dropoutRate2 <- s$drop; args$dropoutTime <- s$drop_time }
  r <- suppressWarnings(do.call(getSampleSizeSurvival, args))
  c(s[c("name", "hr", "fu", "drop", "drop_time", "ratio", "alpha", "sides", "power")],
    list(starts = I(s$starts), rates = I(s$rates), acc_dur = I(s$acc_dur), acc_rate = I(s$acc_rate),
         patients = r$maxNumberOfSubjects, events = r$maxNumberOfEvents))
})

# 3. Lan-DeMets boundaries and inflation factors (one-sided efficacy bounds)
gs <- list(
  list(k = 3, alpha = 0.025, power = 0.8, type = "asOF", timing = c(1, 2, 3) / 3),
  list(k = 4, alpha = 0.025, power = 0.9, type = "asP", timing = c(0.25, 0.5, 0.75, 1)),
  list(k = 2, alpha = 0.05, power = 0.8, type = "asOF", timing = c(0.5, 1)),
  list(k = 3, alpha = 0.025, power = 0.9, type = "asOF", timing = c(0.4, 0.7, 1)),
  list(k = 5, alpha = 0.025, power = 0.8, type = "asP", timing = c(1, 2, 3, 4, 5) / 5))
gs <- lapply(gs, function(g) {
  d <- getDesignGroupSequential(kMax = g$k, alpha = g$alpha, beta = 1 - g$power, sided = 1,
                                typeOfDesign = g$type, informationRates = g$timing)
  c(g[c("k", "alpha", "power", "type")], list(timing = I(g$timing), bounds = I(d$criticalValues),
    alpha_spent = I(d$alphaSpent), inflation = getDesignCharacteristics(d)$inflationFactor))
})
write_json(list(rpact_version = as.character(packageVersion("rpact")), events = ev, patients = pt,
                sequential = gs), "tests/golden/design_rpact.json")
