# Goldens for oncoseries.stats.binomial_ci: Clopper-Pearson from binom.test, Wilson from
# prop.test(correct = FALSE). Run from the repo root: Rscript tests/golden/binomial.R -> binomial.json
source("tests/golden/_json.R")
grid <- expand.grid(x = c(0, 1, 5, 7, 10, 45, 120), n = c(10, 23, 120), conf = c(0.95, 0.90, 0.99))
grid <- grid[grid$x <= grid$n, ]
cp <- t(mapply(function(x, n, conf) binom.test(x, n, conf.level = conf)$conf.int, grid$x, grid$n, grid$conf))
wi <- t(mapply(function(x, n, conf) suppressWarnings(prop.test(x, n, conf.level = conf, correct = FALSE))$conf.int,
               grid$x, grid$n, grid$conf))
write_json(list(successes = I(grid$x), n = I(grid$n), conf_level = I(grid$conf), estimate = I(grid$x / grid$n),
                cp_lower = I(cp[, 1]), cp_upper = I(cp[, 2]), wilson_lower = I(wi[, 1]), wilson_upper = I(wi[, 2])),
           "tests/golden/binomial.json")
