# Shared data loading for the goldens (run the scripts from the repository root).
library(survival)
stopifnot(as.character(packageVersion("survival")) == "3.5.3")
lung <- read.csv("tests/data/r-survival/lung.csv")
lung$event <- as.integer(lung$status == 2)
veteran <- read.csv("tests/data/r-survival/veteran.csv")
veteran$event <- veteran$status
ovarian <- read.csv("tests/data/r-survival/ovarian.csv")
ovarian$time <- ovarian$futime
ovarian$event <- ovarian$fustat
rnd <- read.csv("tests/golden/km_random.csv")
rnd$event <- rnd$status
ent <- read.csv("tests/golden/km_entry.csv")
ent$event <- ent$status
aeq <- read.csv("tests/golden/km_aeq.csv")
aeq$event <- aeq$status
datasets <- list(lung = lung, veteran = veteran, ovarian = ovarian, random = rnd, entry = ent, aeq = aeq)
strip_strata <- function(nm) sub("^[^=]*=", "", nm)
surv_formula <- function(by, entry = NULL, reverse = FALSE) {
  ev <- if (reverse) "1 - event" else "event"
  lhs <- if (is.null(entry)) sprintf("Surv(time, %s)", ev) else sprintf("Surv(%s, time, %s)", entry, ev)
  as.formula(paste(lhs, "~", if (is.null(by)) "1" else by))
}
