# Reference values for rsnprop.measure._matrix.em_moments: lavaan's saturated (h1) moments under
# missing = "ml" (EM), lavInspect(fit, "sampstat.h1"), on incomplete data with many patterns.
# Run from tests/reference:  Rscript measure_em_h1.R  -> measure_em_h1.json
suppressMessages({library(lavaan); library(jsonlite)})
h1 <- function(model, data) {
  fit <- cfa(model, data = data, missing = "ml")
  s <- lavInspect(fit, "sampstat.h1")
  v <- lavNames(fit, "ov")
  list(items = v, n = lavInspect(fit, "nobs"),
       mean = unname(s$mean[v]), cov = unname(unclass(s$cov)[v, v]))
}
out <- list()
# bfi: the 25 personality items (2436 rows with an answer, 88 missingness patterns)
bfi <- read.csv("bfi.csv")
big5 <- c(A = "A", C = "C", E = "E", N = "N", O = "O")
m_bfi <- paste(sprintf("%s =~ %s", tolower(big5), sapply(big5, function(f) paste0(f, 1:5, collapse = " + "))),
               collapse = "\n")
out$bfi25 <- h1(m_bfi, bfi)
# Holzinger-Swineford with MAR missing values (sem_fiml.csv)
hs <- read.csv("sem_fiml.csv")
out$hs_mar <- h1("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9", hs)
out$lavaan <- as.character(packageVersion("lavaan"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "measure_em_h1.json")
