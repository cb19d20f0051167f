# Reference values for missing: multiple_imputation in rsnprop.propositions
# (tests/test_propositions_mi.py).  Rubin's rules with Barnard-Rubin df, mice::pool.scalar
# (mice 3.15), applied to the per-imputation estimates and squared standard errors that rsnprop
# computed on propositions_mi_data.csv (propositions_mi_estimates.csv, written by
# propositions_mi_data.py).  Complete-data df = the test's own df: n = df + 1, k = 1.
# Run: cd tests/reference && Rscript propositions_mi.R   (writes propositions_mi.json)
suppressPackageStartupMessages({library(mice); library(jsonlite)})

est <- read.csv("propositions_mi_estimates.csv")
out <- list()
for (e in unique(est$estimator)) {
  for (k in unique(est$key)) {
    s <- est[est$estimator == e & est$key == k, ]
    s <- s[order(s$imputation), ]
    dfc <- s$df_complete[1]
    p <- pool.scalar(s$estimate, s$variance, n = dfc + 1, k = 1)
    stat <- p$qbar / sqrt(p$t)
    half <- qt(0.975, p$df) * sqrt(p$t)
    out[[paste(k, e, sep = "_")]] <- list(
      m = p$m, qbar = p$qbar, ubar = p$ubar, b = p$b, t = p$t, df = p$df, riv = p$r,
      fmi = p$fmi, statistic = stat,
      p_value = pt(stat, p$df, lower.tail = FALSE),  # one-sided, expected direction
      p_opposite = pt(stat, p$df),
      ci_lower = p$qbar - half, ci_upper = p$qbar + half)
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "propositions_mi.json")
