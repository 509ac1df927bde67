# Golden values for oncoseries.stats.time_dependent: the Stanford heart transplant data (survival::jasa),
# as in the survival package's "timedep" vignette (Therneau, Crowson & Atkinson): transplant is a
# time-dependent covariate. Run from the repository root:  Rscript tests/golden/time_dependent.R
# Writes tests/data/time_dependent/jasa.csv (the one-row-per-patient input) and tests/golden/time_dependent.json.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") == "3.5.3")
source("tests/golden/_json.R")

jasa$subject <- seq_len(nrow(jasa))
base <- with(jasa, data.frame(
  subject = subject,
  futime = pmax(0.5, as.numeric(fu.date - accept.dt)),
  txtime = ifelse(tx.date == fu.date, as.numeric(tx.date - accept.dt) - 0.5, as.numeric(tx.date - accept.dt)),
  fustat = fustat,
  age = round(age, 6)))
write.csv(base, "tests/data/time_dependent/jasa.csv", row.names = FALSE, na = "")
base <- read.csv("tests/data/time_dependent/jasa.csv")

sdata <- tmerge(base[, c("subject", "age")], base, id = subject, death = event(futime, fustat),
                trt = tdc(txtime))
fit <- coxph(Surv(tstart, tstop, death) ~ age + trt, data = sdata)
fit_trt <- coxph(Surv(tstart, tstop, death) ~ trt, data = sdata)
naive <- coxph(Surv(futime, fustat) ~ I(as.integer(!is.na(txtime))), data = base)

sm <- survfit(Surv(tstart, tstop, death) ~ trt, data = sdata)
sm_times <- c(10, 30, 60, 100, 200, 365, 700)
sm_sum <- summary(sm, times = sm_times, extend = TRUE)

L <- 30
lm <- subset(base, futime > L)
lm$trt <- as.integer(!is.na(lm$txtime) & lm$txtime <= L)
lm$time <- lm$futime - L
fit_lm <- coxph(Surv(time, fustat) ~ trt, data = lm)
lr_lm <- survdiff(Surv(time, fustat) ~ trt, data = lm)

coefs <- function(f) list(coef = unname(coef(f)), se = unname(sqrt(diag(vcov(f)))),
                          loglik = f$loglik, names = names(coef(f)))
out <- list(
  split = list(subject = sdata$subject, tstart = sdata$tstart, tstop = sdata$tstop, death = sdata$death,
               trt = sdata$trt),
  cox_age_trt = coefs(fit),
  cox_trt = c(coefs(fit_trt), list(lr = unname(2 * diff(fit_trt$loglik)))),
  naive = coefs(naive),
  simon_makuch = list(times = sm_times, strata = as.character(sm_sum$strata), time = sm_sum$time,
                      n_risk = sm_sum$n.risk, surv = sm_sum$surv, lower = sm_sum$lower, upper = sm_sum$upper),
  landmark = list(landmark = L, n = nrow(lm), n_switched = sum(lm$trt), coef = unname(coef(fit_lm)),
                  se = unname(sqrt(vcov(fit_lm))), logrank_chisq = lr_lm$chisq)
)
writeLines(to_json(out), "tests/golden/time_dependent.json")

# ---- the bundled example study: OS by surgical CR2 (date = new_therapy_date when cr2 is yes) ----
p <- read.csv("src/oncoseries/examples/data/hdifo/patients.csv", stringsAsFactors = FALSE)
d0 <- function(x) as.Date(ifelse(x == "", NA, x))
start <- d0(p$start_date)
end <- ifelse(is.na(d0(p$death_date)), d0(p$last_contact_date), d0(p$death_date))
os <- data.frame(id = seq_len(nrow(p)), time = as.numeric(end - as.numeric(start)) + 1,
                 event = as.integer(!is.na(d0(p$death_date))),
                 switch = ifelse(p$cr2 == "yes", as.numeric(d0(p$new_therapy_date) - start) + 1, NA))
hs <- tmerge(os[, c("id", "time")], os, id = id, death = event(time, event), cr2 = tdc(switch))
hfit <- coxph(Surv(tstart, tstop, death) ~ cr2, data = hs)
hnaive <- coxph(Surv(time, event) ~ I(as.integer(!is.na(switch))), data = os)
HL <- 4 * 30.4375
hl <- subset(os, time > HL)
hl$cr2 <- as.integer(!is.na(hl$switch) & hl$switch <= HL)
hlfit <- coxph(Surv(time - HL, event) ~ cr2, data = hl)
ci <- function(f) unname(exp(confint(f)))
out$hdifo_os <- list(
  td = list(hr = unname(exp(coef(hfit))), ci = I(ci(hfit)), p = unname(summary(hfit)$coefficients[, "Pr(>|z|)"]),
            rows = nrow(hs)),
  naive = list(hr = unname(exp(coef(hnaive))), ci = I(ci(hnaive))),
  landmark = list(n = nrow(hl), n_switched = sum(hl$cr2), hr = unname(exp(coef(hlfit))), ci = I(ci(hlfit)),
                  p = unname(summary(hlfit)$coefficients[, "Pr(>|z|)"])))
writeLines(to_json(out), "tests/golden/time_dependent.json")
