# Reference: multigroup WLSMV with mixed ordinal and continuous observed variables (lavaan
# `ordered = c(...)` naming only some variables, `group = "school"`): Holzinger-Swineford x1, x2,
# x4, x5 cut at their (whole-sample) quartiles as in sem_wlsmv_mixed.R, x3 and x6 continuous.
# Configural, metric (loadings) and scalar (loadings, thresholds and the continuous variables'
# intercepts) models, and the scaled-shifted difference tests between them.
# lavaan 0.6-14: "thresholds" or "intercepts" alone each equate both the thresholds and the
# intercepts of the continuous variables (and free the latent means and scaling factors).
# Run: cd tests/reference && Rscript sem_wlsmv_mixed_groups.R   (writes sem_wlsmv_mixed_groups.json)
source("sem_helpers.R")
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","chisq.shift.parameters",
        "cfi.scaled","tli.scaled","rmsea.scaled","rmsea.ci.lower.scaled","rmsea.ci.upper.scaled")
hs <- read.csv("holzinger_swineford.csv")
cut4 <- function(x) as.integer(cut(x, breaks = quantile(x, c(0, .25, .5, .75, 1)), include.lowest = TRUE))
for (v in c("x1", "x2", "x4", "x5")) hs[[v]] <- cut4(hs[[v]])
hs$school <- factor(hs$school, levels = unique(hs$school))  # groups in order of first appearance
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
ordered <- c("x1", "x2", "x4", "x5")
out <- list(info = info(), model = model, ordered = ordered, group = "school",
            data = hs[, c("school", paste0("x", 1:6))])
steps <- list(configural = character(0), metric = "loadings",
              scalar = c("loadings", "thresholds", "intercepts"))
fits <- list()
for (s in names(steps)) {
  ge <- if (length(steps[[s]])) steps[[s]] else "none"
  f <- cfa(model, data = hs, ordered = ordered, group = "school", estimator = "WLSMV", group.equal = ge)
  out[[s]] <- list(group_equal = steps[[s]], fit = fm(f, ex), estimates = pe_table(f),
                   wls_obs = lapply(lavInspect(f, "wls.obs"), unname))
  fits[[s]] <- f
}
# theta parametrisation: strict invariance (continuous residual variances equal, those of the
# latent responses 1) and a partial version freeing a continuous intercept, a continuous residual
# variance and a threshold
for (s in c("strict", "partial")) {
  ge <- c("loadings", "thresholds", "intercepts", "residuals")
  gp <- if (s == "partial") c("x3~1", "x6~~x6", "x1|t2") else character(0)
  f <- cfa(model, data = hs, ordered = ordered, group = "school", estimator = "WLSMV",
           parameterization = "theta", group.equal = ge, group.partial = if (length(gp)) gp else "")
  out[[paste0("theta_", s)]] <- list(group_equal = ge, group_partial = gp, fit = fm(f, ex),
                                     estimates = pe_table(f))
}
lrt <- as.data.frame(lavTestLRT(fits$configural, fits$metric, fits$scalar))
out$lrt <- list(chisq_diff = lrt[["Chisq diff"]][2:3], df_diff = lrt[["Df diff"]][2:3],
                pvalue = lrt[["Pr(>Chisq)"]][2:3])
write_ref(out, "sem_wlsmv_mixed_groups.json")
