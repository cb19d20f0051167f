# Reference values for rsnprop.propositions.effect_sizes.jzs_bf10 (tests/test_cli_contract_bf.py).
# BayesFactor::ttestBF on one-sample data built to have an exact t statistic:
# x = e + t / sqrt(n), where e has mean 0 and standard deviation 1, so t.test(x)$statistic == t.
# Two-sided (no nullInterval), greater (nullInterval = c(0, Inf)) and less (c(-Inf, 0)).
# For |t| > 5 (one-sided) and |t| > 15 (two-sided) ttestBF switches to a normal approximation
# ("t is large; approximation invoked.", recorded as approximation = TRUE); for those rows the
# columns *_integral hold BayesFactor's own numerical integral over delta of the noncentral t
# likelihood (BayesFactor:::meta.bf.interval), which ttestBF uses below those thresholds.
# Run: Rscript tests/reference/propositions_bf.R > tests/reference/propositions_bf.json
suppressPackageStartupMessages({library(BayesFactor); library(jsonlite)})
ts <- c(-40, -25, -10, -5, -2, -0.5, 0, 0.5, 2, 5, 10, 25, 40)
ns <- c(5, 20, 100, 400)
rs <- c(sqrt(2) / 2, 1)
rows <- list()
for (n in ns) for (t in ts) for (r in rs) {
  e <- as.numeric(scale(qnorm(ppoints(n))))
  x <- e + t / sqrt(n)
  tt <- unname(t.test(x)$statistic)
  said <- character(0)  # BayesFactor says "t is large; approximation invoked." for large |t|
  bf <- function(...) withCallingHandlers(extractBF(ttestBF(x, rscale = r, ...), logbf = TRUE)$bf[1],
    message = function(m) { said <<- c(said, conditionMessage(m)); invokeRestart("muffleMessage") })
  two <- bf()
  gt <- bf(nullInterval = c(0, Inf))
  lt <- bf(nullInterval = c(-Inf, 0))
  integral <- function(lo, hi) tryCatch(
    suppressWarnings(BayesFactor:::meta.bf.interval(lo, hi, tt, n, n - 1, r)$bf),
    error = function(e) NA)
  rows[[length(rows) + 1]] <- list(t = tt, n = n, r = r, log_bf_two_sided = two,
                                   log_bf_greater = gt, log_bf_less = lt,
                                   approximation = length(said) > 0,
                                   log_bf_two_sided_integral = integral(-Inf, Inf),
                                   log_bf_greater_integral = integral(0, Inf),
                                   log_bf_less_integral = integral(-Inf, 0))
}
cat(toJSON(list(package = paste("BayesFactor", packageVersion("BayesFactor")),
                R = R.version.string, rows = rows), auto_unbox = TRUE, digits = NA, pretty = TRUE))
cat("\n")
