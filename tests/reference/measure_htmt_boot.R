# Percentile bootstrap interval of HTMT computed with semTools::htmt on resampled rows, as a
# check of rsnprop's bootstrap (R's and numpy's random numbers differ: Monte Carlo tolerance).
# Run from tests/reference:  Rscript measure_htmt_boot.R  -> measure_htmt_boot.json
suppressMessages({library(semTools); library(jsonlite)})
hs <- read.csv("measure_hs.csv")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
set.seed(1)
B <- 1000
n <- nrow(hs)
vals <- t(sapply(seq_len(B), function(b) {
  h <- htmt(model, hs[sample.int(n, n, replace = TRUE), ], htmt2 = FALSE)
  c(h[1, 2], h[1, 3], h[2, 3])
}))
ci <- apply(vals, 2, quantile, probs = c(0.025, 0.975))
out <- list(B = B, pairs = c("visual-textual", "visual-speed", "textual-speed"),
            lower = unname(ci[1, ]), upper = unname(ci[2, ]))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "measure_htmt_boot.json")
