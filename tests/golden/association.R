# Goldens for oncoseries.stats.association (fisher_exact, chisq_test, wilcoxon_ranksum) and for the
# "biomarkers" section of the bundled hdifo example (oncoseries.analysis.biomarkers).
# Run from the repository root: Rscript tests/golden/association.R  -> tests/golden/association.json
# The hdifo outcomes (responder, PFS/OS days and events as oncoseries derives them) are in
# tests/golden/association_hdifo.csv (written by tests/analysis/_hdifo_outcomes.py); the markers are read
# from the example's own biomarkers.csv and mutations.csv and recoded here independently of oncoseries.
source("tests/golden/_json.R")
library(survival)
stopifnot(as.character(packageVersion("survival")) == "3.5.3")

rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) I(m[i, ]))
tab <- function(v, nr) matrix(v, nrow = nr, byrow = TRUE)

# --- small tables: Fisher (2 x 2, r x 2, 2 x c, r x c) and chi-square without continuity correction ------
tables <- list(
  tab(c(8, 2, 1, 5), 2),            # scipy's doc example
  tab(c(3, 1, 1, 3), 2),            # symmetric: tied table probabilities
  tab(c(10, 0, 0, 10), 2),
  tab(c(0, 5, 0, 7), 2),            # a zero column: one table, P = 1
  tab(c(12, 5, 3, 9), 2),
  tab(c(1, 9, 11, 3), 2),
  tab(c(2, 5, 4, 4, 0, 6), 3),
  tab(c(3, 3, 1, 5, 3, 3, 0, 4), 4),  # tied rows
  tab(c(1, 4, 2, 3, 0, 5, 3, 2, 1, 6, 2, 2), 6),
  tab(c(8, 2, 3, 1, 5, 4), 2),
  tab(c(3, 1, 0, 1, 3, 1, 0, 1, 4), 3),
  tab(c(1, 2, 0, 3, 2, 0, 3, 1, 0, 3, 1, 1), 3),
  tab(c(6, 24, 5, 28), 2)           # hdifo-sized
)
fisher <- lapply(tables, function(m) list(table = rows_of(m), p = fisher.test(m)$p.value))
chisq <- lapply(Filter(function(m) all(rowSums(m) > 0) && all(colSums(m) > 0), tables), function(m) {
  t <- suppressWarnings(chisq.test(m, correct = FALSE))
  list(table = rows_of(m), statistic = unname(t$statistic), df = unname(t$parameter), p = t$p.value)
})

# --- Wilcoxon rank-sum, normal approximation with continuity correction ---------------------------------
samples <- list(
  list(x = c(1, 2, 2, 3, 5, 7), y = c(2, 3, 3, 4, 8, 9, 10)),
  list(x = c(0.5, 1.5, 2.5), y = c(3, 4, 5, 6)),
  list(x = c(5, 5, 5, 5), y = c(5, 5, 6)),
  list(x = c(115, 150, 150, 60, 220), y = c(100, 100, 150, 75, 40, 40, 300)),
  list(x = c(1, 2, 3), y = c(1, 2, 3)),                     # z = 0: P = 1
  list(x = c(1, 1), y = c(1, 1, 1)),                        # all tied: P is NaN in R
  list(x = c(3.2), y = c(1.1, 2.5, 3.2, 4.8, 0.7))
)
wilcox <- lapply(samples, function(s) {
  t <- wilcox.test(s$x, s$y, exact = FALSE, correct = TRUE)
  list(x = I(s$x), y = I(s$y), statistic = unname(t$statistic), p = t$p.value)
})

# --- hdifo: every marker against response, PFS and OS -----------------------------------------------------
source("tests/golden/_hdifo_markers.R")
hm <- hdifo_markers(); d <- hm$d; markers <- hm$markers

km_groups <- function(fit) {
  tb <- summary(fit)$table
  list(level = I(sub("^[^=]*=", "", rownames(tb))), n_level = I(unname(tb[, "records"])),
       events = I(unname(tb[, "events"])), median_days = I(unname(tb[, "median"])),
       lower_days = I(unname(tb[, "0.95LCL"])), upper_days = I(unname(tb[, "0.95UCL"])))
}
hd <- list()
for (mk in markers) {
  x <- d[[mk]]
  numeric <- is.numeric(x)
  r <- d[!is.na(d$responder) & !is.na(x), ]
  res <- list(type = if (numeric) "numeric" else "categorical", n = sum(!is.na(x)), n_missing = sum(is.na(x)))
  if (numeric) {
    w <- wilcox.test(r[[mk]][r$responder == 1], r[[mk]][r$responder == 0], exact = FALSE, correct = TRUE)
    q1 <- quantile(r[[mk]][r$responder == 1], c(0.25, 0.5, 0.75))
    q0 <- quantile(r[[mk]][r$responder == 0], c(0.25, 0.5, 0.75))
    res$response <- list(n = nrow(r), statistic = unname(w$statistic), p = w$p.value,
                         responders = I(unname(q1)), non_responders = I(unname(q0)))
  } else {
    ct <- table(factor(r[[mk]]), factor(r$responder, levels = c(1, 0)))
    res$response <- list(n = nrow(r), levels = I(rownames(ct)), n_level = I(unname(rowSums(ct))),
                         responders = I(unname(ct[, "1"])), p = fisher.test(ct)$p.value)
  }
  for (ep in c("PFS", "OS")) {
    tt <- paste0(tolower(ep), "_time"); ee <- paste0(tolower(ep), "_event")
    s <- d[!is.na(x), ]
    f <- as.formula(sprintf("Surv(%s, %s) ~ %s", tt, ee, mk))
    if (numeric) {
      fit <- coxph(f, data = s)
      cf <- summary(fit)$coefficients
      iqr <- IQR(s[[mk]])
      res[[ep]] <- list(n = fit$n, events = fit$nevent, coef = cf[1, "coef"], se = cf[1, "se(coef)"],
                        p = cf[1, "Pr(>|z|)"], hr = exp(cf[1, "coef"]),
                        lower = exp(confint(fit))[1, 1], upper = exp(confint(fit))[1, 2], iqr = iqr,
                        hr_iqr = exp(cf[1, "coef"] * iqr), lower_iqr = exp(confint(fit)[1, 1] * iqr),
                        upper_iqr = exp(confint(fit)[1, 2] * iqr))
    } else {
      sd <- survdiff(f, data = s)
      res[[ep]] <- c(list(n = sum(sd$n), statistic = sd$chisq, df = length(sd$n) - 1,
                          p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE),
                          expected = I(unname(sd$exp))),
                     km_groups(survfit(f, data = s)))
    }
  }
  hd[[mk]] <- res
}
write_json(list(fisher = fisher, chisq = chisq, wilcox = wilcox, hdifo = hd), "tests/golden/association.json")
