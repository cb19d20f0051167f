# Monte Carlo spread of psych::fa.parallel's suggestions (n.iter = 20, as the tests use).
# psych simulates inside parallel::mclapply, so set.seed does not fix its draw: the same call
# gives different suggestions from run to run.  This script repeats the call 30 times and
# records every suggestion, so the test can require ours to be one that R itself gives.
# Run: cd tests/reference && Rscript measure_parallel.R   (writes measure_parallel.json)
suppressPackageStartupMessages({library(psych); library(jsonlite)})
options(mc.cores = 1)
bfi <- read.csv("bfi.csv")
hs <- read.csv("measure_hs.csv")
HS <- paste0("x", 1:9)
A <- paste0("A", 1:5); C <- paste0("C", 1:5)
rev_items <- function(d, keys) { for (k in keys) d[[k]] <- 7 - d[[k]]; d }
AC <- na.omit(rev_items(bfi[, c(A, C)], c("A1", "C4", "C5")))
runs <- function(x, reps = 30) {
  r <- lapply(seq_len(reps), function(i) {
    pa <- fa.parallel(x, plot = FALSE, n.iter = 20)
    c(pa$nfact, pa$ncomp)
  })
  list(nfact = sapply(r, `[`, 1), ncomp = sapply(r, `[`, 2), reps = reps, n_iter = 20)
}
set.seed(2026)
out <- list(psych = as.character(packageVersion("psych")), HS = runs(hs[, HS]), AC = runs(AC))
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE), "measure_parallel.json")
