# Goldens for oncoseries.stats.kaplan_meier (survfit / summary.survfit / print.survfit / quantile.survfit).
# Run from the repository root: Rscript tests/golden/km.R  ->  tests/golden/km.json
source("tests/golden/_json.R")
source("tests/golden/_data.R")

# print.survfit's median rule (survival:::survmean, inner function minmin) and counts
print_medians <- function(fit, groups) {
  m <- survival:::survmean(fit, rmean = "none")$matrix
  if (!is.matrix(m)) m <- matrix(m, nrow = 1, dimnames = list(NULL, names(m)))
  data.frame(group = groups, n = m[, "records"], events = m[, "events"], median = m[, "median"],
             lower = m[, grep("LCL$", colnames(m))], upper = m[, grep("UCL$", colnames(m))])
}

km_case <- function(name, dataset, by = NULL, conf.type = "log", conf.int = 0.95, times = NULL,
                    qs = c(0.1, 0.25, 0.5, 0.75, 0.9), entry = NULL) {
  df <- datasets[[dataset]]
  fit <- survfit(surv_formula(by, entry), data = df, conf.type = conf.type, conf.int = conf.int)
  groups <- if (is.null(fit$strata)) "all" else strip_strata(names(fit$strata))
  gvec <- if (is.null(fit$strata)) rep("all", length(fit$time)) else rep(groups, fit$strata)
  table <- data.frame(group = gvec, time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
                      n_censor = fit$n.censor, survival = fit$surv, std_err = fit$std.err * fit$surv,
                      lower = fit$lower, upper = fit$upper)
  q <- quantile(fit, probs = qs)
  qm <- function(x) if (is.matrix(x)) x else matrix(x, nrow = 1)
  quant <- data.frame(group = rep(groups, times = length(qs)), q = rep(qs, each = length(groups)),
                      quantile = c(qm(q$quantile)), lower = c(qm(q$lower)), upper = c(qm(q$upper)))
  out <- list(name = name, dataset = dataset, by = by, entry = entry, conf_type = conf.type,
              conf_level = conf.int, medians = print_medians(fit, groups), quantiles = quant, table = table)
  if (!is.null(times)) {
    s <- summary(fit, times = times, extend = TRUE)
    sg <- if (is.null(s$strata)) rep("all", length(s$time)) else strip_strata(as.character(s$strata))
    at <- data.frame(group = sg, time = s$time, r_n_risk = s$n.risk,
                     n_event = ave(s$n.event, sg, FUN = cumsum), n_censor = ave(s$n.censor, sg, FUN = cumsum),
                     survival = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper)
    # the risk set at t (entry < t <= time) and the last follow-up of each group
    keep <- complete.cases(df[, c("time", "event", by, entry), drop = FALSE])
    d2 <- df[keep, ]
    g2 <- if (is.null(by)) rep("all", nrow(d2)) else as.character(d2[[by]])
    # times as survfit sees them: near-equal times merged by aeqSurv (pooled over groups)
    y2 <- if (is.null(entry)) aeqSurv(Surv(d2$time, d2$event)) else aeqSurv(Surv(d2[[entry]], d2$time, d2$event))
    d2$time <- y2[, ncol(y2) - 1]
    e2 <- if (is.null(entry)) rep(-Inf, nrow(d2)) else y2[, 1]
    at$n_risk <- mapply(function(g, t) sum(g2 == g & e2 < t & d2$time >= t), at$group, at$time)
    at$last_followup <- sapply(at$group, function(g) max(d2$time[g2 == g]))
    out$times <- I(times)
    out$at <- at
  }
  out
}

followup_case <- function(name, dataset, by = NULL) {
  df <- datasets[[dataset]]
  fit <- survfit(surv_formula(by, reverse = TRUE), data = df)
  groups <- if (is.null(fit$strata)) "all" else strip_strata(names(fit$strata))
  med <- print_medians(fit, groups)
  keep <- complete.cases(df[, c("time", "event", by), drop = FALSE])
  d2 <- df[keep, ]
  g2 <- if (is.null(by)) rep("all", nrow(d2)) else as.character(d2[[by]])
  med$n_censored <- sapply(groups, function(g) sum(d2$event[g2 == g] == 0))
  med$min <- sapply(groups, function(g) min(d2$time[g2 == g]))
  med$max <- sapply(groups, function(g) max(d2$time[g2 == g]))
  med$events <- NULL
  list(name = name, dataset = dataset, by = by, followup = med)
}

lung_t <- c(0, 5, 30, 100, 180, 365, 500, 730, 1000, 1022, 1100)
vet_t <- c(0, 30, 90, 180, 365, 999, 1000)
ova_t <- c(0, 100, 365, 730, 1200, 1300)
rnd_t <- c(0, 0.3, 0.5, 1, 2.5, 5, 5.5, 7, 10, 15, 20, 30, 100)
ent_t <- c(0, 1, 2.5, 5, 10, 15, 20, 30, 40, 50)
cases <- list(
  km_case("lung_all", "lung", NULL, "log", times = lung_t),
  km_case("lung_sex_log", "lung", "sex", "log", times = lung_t),
  km_case("lung_sex_loglog", "lung", "sex", "log-log", times = lung_t),
  km_case("lung_sex_plain", "lung", "sex", "plain", times = lung_t),
  km_case("lung_sex_log_90", "lung", "sex", "log", conf.int = 0.90, times = lung_t),
  km_case("lung_ecog_log", "lung", "ph.ecog", "log", times = lung_t),
  km_case("veteran_all", "veteran", NULL, "log", times = vet_t),
  km_case("veteran_trt", "veteran", "trt", "log", times = vet_t),
  km_case("veteran_celltype_loglog", "veteran", "celltype", "log-log", times = vet_t),
  km_case("ovarian_rx_log", "ovarian", "rx", "log", times = ova_t),
  km_case("ovarian_rx_plain", "ovarian", "rx", "plain", times = ova_t),
  km_case("random_log", "random", "grp", "log", times = rnd_t),
  km_case("random_loglog", "random", "grp", "log-log", times = rnd_t),
  km_case("random_plain", "random", "grp", "plain", times = rnd_t),
  km_case("entry_grp_log", "entry", "grp", "log", times = ent_t, entry = "entry"),
  km_case("entry_all_loglog", "entry", NULL, "log-log", times = ent_t, entry = "entry"),
  km_case("entry_grp_plain", "entry", "grp", "plain", times = ent_t, entry = "entry"),
  km_case("aeq_all", "aeq", NULL, "log", times = c(50, 100, 100 + 1e-7, 100 + 3e-6, 200, 400))
)
names(cases) <- vapply(cases, function(x) x$name, "")
followup <- list(
  followup_case("lung_all", "lung"),
  followup_case("lung_sex", "lung", "sex"),
  followup_case("veteran_trt", "veteran", "trt"),
  followup_case("random_grp", "random", "grp")
)
names(followup) <- vapply(followup, function(x) x$name, "")

# Named checks from docs (survival-peers.md section 2): plateau at 0.5 -> 5.5
plateau <- survfit(Surv(t, e) ~ 1, data = data.frame(t = 1:10, e = 1))
write_json(list(r_version = R.version.string, survival = as.character(packageVersion("survival")),
                cases = cases, followup = followup,
                plateau_median = survival:::survmean(plateau, rmean = "none")$matrix[["median"]]),
           "tests/golden/km.json")
