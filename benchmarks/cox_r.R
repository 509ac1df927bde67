# Fit the benchmark data with R survival::coxph (Efron) and print the coefficients at full precision.
# Usage: Rscript benchmarks/cox_r.R /tmp/oncoseries_bench_cox.csv
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
covs <- grep("^x", names(d), value = TRUE)
f <- as.formula(paste("Surv(time, event) ~", paste(covs, collapse = " + ")))
t0 <- proc.time()[["elapsed"]]
fit <- coxph(f, data = d)
t1 <- proc.time()[["elapsed"]]
cat(sprintf("R_SECONDS %.3f\n", t1 - t0))
cat(sprintf("R_COEF %s %.17g\n", names(coef(fit)), coef(fit)), sep = "")
cat(sprintf("R_SE %s %.17g\n", names(coef(fit)), sqrt(diag(fit$var))), sep = "")
cat(sprintf("R_LOGLIK %.17g\n", fit$loglik[2]))
cat(sprintf("R_CONCORDANCE %.17g\n", fit$concordance[["concordance"]]))
