# Reference: WLSMV with mixed ordinal and continuous observed variables (lavaan `ordered = c(...)`
# naming only some variables): continuous ones get means, variances and Pearson / polyserial
# covariances, all inside the NACOV.  Two models:
#  * bfi: agreeableness items (ordinal) and age (continuous) regressed on the factor;
#  * Holzinger-Swineford: x1, x2, x4, x5 cut at their quartiles (4 categories), x3, x6 continuous.
# Run: cd tests/reference && Rscript sem_wlsmv_mixed.R   (writes sem_wlsmv_mixed.json)
source("sem_helpers.R")
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","chisq.shift.parameters",
        "cfi.scaled","tli.scaled","rmsea.scaled","rmsea.ci.lower.scaled","rmsea.ci.upper.scaled")
one <- function(model, d, ordered) {
  fit <- sem(model, data = d, ordered = ordered, estimator = "WLSMV")
  s <- lavInspect(fit, "sampstat")
  list(model = model, ordered = ordered, n = nobs(fit), fit = fm(fit, ex), estimates = pe_table(fit),
       cov = unclass(s$cov), mean = as.list(s$mean), thresholds = as.list(s$th),
       wls_obs = unname(lavInspect(fit, "wls.obs")), nacov = unclass(lavInspect(fit, "gamma")))
}
b <- read.csv("bfi.csv")
b <- na.omit(b[, c(paste0("A", 1:5), "age")])
hs <- read.csv("holzinger_swineford.csv")
cut4 <- function(x) as.integer(cut(x, breaks = quantile(x, c(0, .25, .5, .75, 1)), include.lowest = TRUE))
for (v in c("x1", "x2", "x4", "x5")) hs[[v]] <- cut4(hs[[v]])
out <- list(info = info(),
            bfi = one("agree =~ A1 + A2 + A3 + A4 + A5\nage ~ agree", b, paste0("A", 1:5)),
            hs = one("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", hs, c("x1", "x2", "x4", "x5")),
            hs_data = hs[, paste0("x", 1:6)])
write_ref(out, "sem_wlsmv_mixed.json")
