# Reference thresholds for rsnprop.simulate.population.likert_thresholds:
# tau_k = qnorm(pbeta(k / K, 2 (1 + s), 2 (1 - s))), k = 1..K-1.
# Run: Rscript tests/reference/simulate_thresholds.R > tests/reference/simulate_thresholds.json
cases <- list(c(7, 0.25), c(7, 0), c(5, -0.3), c(4, 0.6))
out <- lapply(cases, function(cs) {
  k <- cs[1]; s <- cs[2]
  tau <- qnorm(pbeta((1:(k - 1)) / k, 2 * (1 + s), 2 * (1 - s)))
  sprintf('{"k": %d, "skew": %s, "thresholds": [%s]}', as.integer(k), format(s),
          paste(sprintf("%.15g", tau), collapse = ", "))
})
cat('{"cases": [', paste(unlist(out), collapse = ",\n  "), "]}\n", sep = "")
