# Golden values for oncoseries.recist.response_summary and the concordance kappa.
# Run: Rscript tests/golden/recist_summary.R  (writes tests/golden/recist_summary.json)
# Exact Clopper-Pearson intervals from base R binom.test (stats package).

ci <- function(k, n, level) {
  b <- binom.test(k, n, conf.level = level)
  c(k / n, b$conf.int[1], b$conf.int[2])
}
fmt <- function(x) sprintf("%.17g", x)

# Scenario A: 23 patients; CR 2, PR 5, SD 6, NON-CR/NON-PD 1, PD 6, NE 2, MISSING 1
# ORR 7, DCR 14, CBR 9 (CR/PR or durable control); conf.level 0.95, denominator 23.
# Scenario B: the same patients with denominator 25 and conf.level 0.90.
counts <- c(CR = 2, PR = 5, SD = 6, "NON-CR/NON-PD" = 1, PD = 6, NE = 2, MISSING = 1,
            ORR = 7, DCR = 14, CBR = 9)
scen <- list(A = list(n = 23, level = 0.95), B = list(n = 25, level = 0.90))

out <- c()
for (s in names(scen)) {
  rows <- c()
  for (nm in names(counts)) {
    v <- ci(counts[[nm]], scen[[s]]$n, scen[[s]]$level)
    rows <- c(rows, sprintf('    "%s": [%s, %s, %s]', nm, fmt(v[1]), fmt(v[2]), fmt(v[3])))
  }
  out <- c(out, sprintf('  "%s": {\n%s\n  }', s, paste(rows, collapse = ",\n")))
}

# Cohen's kappa of a derived-vs-investigator crosstab (rows derived, columns investigator),
# levels CR, PR, SD, PD: kappa = (po - pe) / (1 - pe).
tab <- matrix(c(3, 1, 0, 0,
                0, 5, 2, 0,
                0, 1, 6, 1,
                0, 0, 1, 4), nrow = 4, byrow = TRUE)
n <- sum(tab)
po <- sum(diag(tab)) / n
pe <- sum(rowSums(tab) * colSums(tab)) / n^2
kappa <- (po - pe) / (1 - pe)
out <- c(out, sprintf('  "kappa": {"agreement": %s, "kappa": %s}', fmt(po), fmt(kappa)))

writeLines(c("{", paste(out, collapse = ",\n"), "}"), "tests/golden/recist_summary.json")
