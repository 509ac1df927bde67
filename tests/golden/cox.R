# Golden values for oncoseries.cox, from R survival::coxph.
# Run from the repository root:  Rscript tests/golden/cox.R
# Writes tests/data/cox/*.csv (simulated data, read back before fitting) and tests/golden/cox.json.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") == "3.5.3")

rdir <- "tests/data/r-survival"
cdir <- "tests/data/cox"
lung <- read.csv(file.path(rdir, "lung.csv"))
veteran <- read.csv(file.path(rdir, "veteran.csv"))
ovarian <- read.csv(file.path(rdir, "ovarian.csv"))

# ---- simulated data (rounded, written to CSV and read back so Python sees the same numbers) ----
sim_write <- function(df, name) {
  path <- file.path(cdir, paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE)
  read.csv(path)
}
set.seed(20240611)
n <- 400
ties <- data.frame(
  x1 = round(rnorm(n), 3),
  x2 = rbinom(n, 1, 0.4),
  grp = sample(c("a", "b", "c"), n, replace = TRUE),
  site = sample(c("s1", "s2", "s3"), n, replace = TRUE),
  id = rep(1:80, each = 5),
  flag = sample(c(TRUE, FALSE), n, replace = TRUE)
)
lin <- 0.5 * ties$x1 - 0.6 * ties$x2 + 0.4 * (ties$grp == "b") + 0.8 * (ties$grp == "c") + 0.3 * ties$flag
ties$time <- pmin(25, ceiling(rexp(n, exp(lin)) * 8))
ties$status <- ifelse(ties$time == 25, 0, rbinom(n, 1, 0.8))
ties <- sim_write(ties, "ties")

small <- data.frame(time = c(2, 3, 3, 5, 5, 5, 8, 9), status = c(1, 1, 1, 0, 1, 1, 0, 1),
                    x = c(0.5, -1.2, 0.3, 1.1, -0.4, 2.0, 0.0, -0.7))
small <- sim_write(small, "small")

# a stratum with a single event, and a stratum-time tie pattern across strata
set.seed(7)
z <- round(rnorm(65), 2)
one <- data.frame(time = c(pmin(12, ceiling(rexp(60, exp(0.6 * z[1:60])) * 5)), c(4, 6, 6, 9, 11)),
                  status = c(rbinom(60, 1, 0.6), c(0, 1, 0, 0, 0)),
                  z = z,
                  st = c(sample(c("A", "B"), 60, replace = TRUE), rep("C", 5)))
one <- sim_write(one, "onevent")

# monotone likelihood: every event in arm == 1
set.seed(11)
sep <- data.frame(time = round(rexp(40, 0.1), 1) + 0.1, arm = rep(0:1, each = 20),
                  age = round(rnorm(40, 60, 8)))
sep$status <- ifelse(sep$arm == 1, rbinom(40, 1, 0.5), 0)
sep <- sim_write(sep, "separation")

# left truncation (delayed entry), heavy ties in exit time
set.seed(3)
m <- 300
entry <- round(runif(m, 0, 5), 1)
trunc <- data.frame(entry = entry, x = round(rnorm(m), 2), g = rbinom(m, 1, 0.5))
trunc$time <- entry + ceiling(rexp(m, exp(0.7 * trunc$x - 0.5 * trunc$g)) * 10) / 2
trunc$status <- rbinom(m, 1, 0.7)
trunc <- sim_write(trunc, "entry")

# ---- JSON writer (no jsonlite): full precision via %.17g ----
num <- function(x) ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "1e999", "-1e999"),
                                                    sprintf("%.17g", x)))
vec <- function(x) paste0("[", paste(num(as.numeric(x)), collapse = ", "), "]")
str1 <- function(x) paste0("\"", gsub("\"", "\\\\\"", x), "\"")
svec <- function(x) if (length(x) == 0) "[]" else paste0("[", paste(str1(x), collapse = ", "), "]")
test3 <- function(t) sprintf("{\"statistic\": %s, \"df\": %s, \"p\": %s}", num(t[["test"]]),
                             num(t[["df"]]), num(t[["pvalue"]]))

fit_json <- function(fit, warn) {
  s <- summary(fit)
  cf <- coef(fit)
  v <- fit$var
  out <- c(
    sprintf("\"names\": %s", svec(names(cf))),
    sprintf("\"coef\": %s", vec(cf)),
    sprintf("\"se\": %s", vec(sqrt(diag(v)))),
    sprintf("\"var\": %s", vec(as.vector(v))),
    sprintf("\"z\": %s", vec(s$coefficients[, "z"])),
    sprintf("\"p\": %s", vec(s$coefficients[, "Pr(>|z|)"])),
    sprintf("\"lower\": %s", vec(s$conf.int[, 3])),
    sprintf("\"upper\": %s", vec(s$conf.int[, 4])),
    sprintf("\"loglik\": %s", vec(fit$loglik)),
    sprintf("\"lr\": %s", test3(s$logtest)),
    # summary(coxph) prints round(wald.test, 2); the unrounded statistic is fit$wald.test
    sprintf("\"wald\": %s", test3(c(test = as.vector(fit$wald.test), df = s$waldtest[["df"]],
                                      pvalue = s$waldtest[["pvalue"]]))),
    sprintf("\"score\": %s", test3(s$sctest)),
    sprintf("\"concordance\": %s", num(fit$concordance[["concordance"]])),
    sprintf("\"concordance_se\": %s", num(fit$concordance[["std"]])),
    sprintf("\"n\": %d", fit$n), sprintf("\"nevent\": %d", fit$nevent),
    sprintf("\"iter\": %d", fit$iter),
    sprintf("\"na_action\": %s", vec(if (is.null(fit$na.action)) numeric(0) else as.vector(fit$na.action))),
    sprintf("\"warnings\": %s", svec(warn))
  )
  if (!is.null(fit$naive.var)) {
    out <- c(out, sprintf("\"se_naive\": %s", vec(sqrt(diag(fit$naive.var)))),
             sprintf("\"robust_score\": %s", test3(s$robscore)))
  }
  paste0("{", paste(out, collapse = ", "), "}")
}

fits <- list()
add <- function(name, expr) {
  warn <- character(0)
  fit <- withCallingHandlers(expr, warning = function(w) {
    warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning")
  })
  fits[[name]] <<- fit_json(fit, warn)
}

# lung: status 1/2 (2 = dead)
add("lung_sex", coxph(Surv(time, status == 2) ~ sex, data = lung))
add("lung_sex_breslow", coxph(Surv(time, status == 2) ~ sex, data = lung, ties = "breslow"))
add("lung_efron", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = lung))
add("lung_breslow", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = lung, ties = "breslow"))
add("lung_robust", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = lung, robust = TRUE))
add("lung_robust_breslow", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = lung,
                                 robust = TRUE, ties = "breslow"))
add("lung_cluster", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = lung, cluster = inst))
add("lung_strata_inst", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog + strata(inst), data = lung))
add("lung_na_meal", coxph(Surv(time, status == 2) ~ age + sex + ph.ecog + meal.cal, data = lung))
lungf <- lung
lungf$sexf <- factor(ifelse(lung$sex == 1, "male", "female"))
add("lung_sexf", coxph(Surv(time, status == 2) ~ age + sexf, data = lungf))
lungf$sexf <- relevel(lungf$sexf, "male")
add("lung_sexf_ref_male", coxph(Surv(time, status == 2) ~ age + sexf, data = lungf))

# veteran: celltype with reference squamous (R's own factor order), karno
vet <- veteran
vet$celltype <- factor(vet$celltype, levels = c("squamous", "smallcell", "adeno", "large"))
add("veteran_celltype", coxph(Surv(time, status) ~ celltype + karno, data = vet))
add("veteran_karno", coxph(Surv(time, status) ~ karno, data = vet))
vet$celltype_sorted <- factor(veteran$celltype)  # sorted levels: adeno first
add("veteran_celltype_sorted", coxph(Surv(time, status) ~ celltype_sorted + karno, data = vet))
add("veteran_strata", coxph(Surv(time, status) ~ karno + age + trt + strata(celltype), data = vet))
add("veteran_strata_breslow", coxph(Surv(time, status) ~ karno + age + trt + strata(celltype),
                                    data = vet, ties = "breslow"))

# ovarian: no tied event times, so Efron = Breslow
add("ovarian", coxph(Surv(futime, fustat) ~ rx + age, data = ovarian))
add("ovarian_breslow", coxph(Surv(futime, fustat) ~ rx + age, data = ovarian, ties = "breslow"))

# simulated
add("ties_efron", coxph(Surv(time, status) ~ x1 + x2 + grp + flag, data = ties))
add("ties_breslow", coxph(Surv(time, status) ~ x1 + x2 + grp + flag, data = ties, ties = "breslow"))
add("ties_strata", coxph(Surv(time, status) ~ x1 + x2 + grp + strata(site), data = ties))
add("ties_strata_cluster", coxph(Surv(time, status) ~ x1 + x2 + grp + strata(site), data = ties,
                                 cluster = id))
add("ties_robust_breslow", coxph(Surv(time, status) ~ x1 + x2, data = ties, robust = TRUE,
                                 ties = "breslow"))
tiesr <- ties
tiesr$grp <- relevel(factor(tiesr$grp), "c")
add("ties_grp_ref_c", coxph(Surv(time, status) ~ x1 + grp, data = tiesr))
add("small", coxph(Surv(time, status) ~ x, data = small))
add("small_breslow", coxph(Surv(time, status) ~ x, data = small, ties = "breslow"))
add("onevent_strata", coxph(Surv(time, status) ~ z + strata(st), data = one))
add("separation", coxph(Surv(time, status) ~ arm + age, data = sep))
add("entry_efron", coxph(Surv(entry, time, status) ~ x + g, data = trunc))
add("entry_breslow", coxph(Surv(entry, time, status) ~ x + g, data = trunc, ties = "breslow"))
add("entry_robust", coxph(Surv(entry, time, status) ~ x + g, data = trunc,
                          cluster = seq_len(nrow(trunc))))

# residuals for the engine's internal check (dfbeta of lung_efron, first 5 rows used)
f <- coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = lung)
sc <- residuals(f, type = "score")

con <- file("tests/golden/cox.json", "w")
writeLines("{", con)
writeLines(sprintf("\"survival_version\": %s,", str1(as.character(packageVersion("survival")))), con)
writeLines(sprintf("\"lung_efron_score_resid_first5\": %s,", vec(t(sc[1:5, ]))), con)
writeLines("\"fits\": {", con)
nm <- names(fits)
for (i in seq_along(nm)) {
  writeLines(sprintf("%s: %s%s", str1(nm[i]), fits[[nm[i]]], if (i < length(nm)) "," else ""), con)
}
writeLines("}}", con)
close(con)
cat("wrote", length(nm), "fits\n")
