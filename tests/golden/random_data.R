# Generates the random test data used by the km/logrank/rmst goldens (run from the repo root:
#   Rscript tests/golden/random_data.R). Writes tests/golden/km_random.csv and tests/golden/km_entry.csv.
source("tests/golden/_json.R")
set.seed(20240601)
mk <- function(g, time, status) data.frame(grp = g, time = time, status = status)
d <- rbind(
  mk("A", sample(1:15, 200, replace = TRUE), rbinom(200, 1, 0.7)),        # heavy ties
  mk("B", round(runif(7, 1, 30), 1), c(1, 0, 1, 1, 0, 1, 1)),            # n < 10
  mk("C", sample(1:20, 10), rep(0, 10)),                                   # all censored
  mk("D", sample(2:25, 12), replace(rep(0, 12), 4, 1)),                    # a single event
  mk("E", 1:10, rep(1, 10)),                                               # plateau at exactly 0.5 (median 5.5)
  mk("F", 1:10, c(rep(1, 5), rep(0, 5))),                                  # curve ends at exactly 0.5
  mk("G", rep(0.2, 5), rep(0, 5)),                                         # censored before any event: E = 0
  mk("H", c(0.1 + 0.2, 0.3, 0.7, 0.1 * 7, 1.1, 2.2, 3.3, 4.4),             # near-ties merged by aeqSurv
     c(1, 1, 0, 1, 1, 0, 1, 1))
)
d$stratum <- sample(c("s1", "s2"), nrow(d), replace = TRUE)
write_csv17(d, "tests/golden/km_random.csv")

n <- 80
e <- data.frame(grp = sample(c("X", "Y"), n, replace = TRUE), entry = sample(0:10, n, replace = TRUE))
e$time <- e$entry + sample(1:30, n, replace = TRUE)
e$status <- rbinom(n, 1, 0.7)
write_csv17(e, "tests/golden/km_entry.csv")

# near-equal times: R's aeqSurv merges differences <= sqrt(eps) relative to mean(|time|) (~1.5e-8 * 190)
a <- data.frame(time = c(100, 100 + 1e-7, 100 + 2e-6, 100 + 4e-6, 150, 200, 200 + 1e-6, 250, 300, 300 + 5e-6),
                status = c(1, 0, 1, 1, 1, 0, 1, 1, 0, 1))
write_csv17(a, "tests/golden/km_aeq.csv")
