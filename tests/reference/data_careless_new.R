# Reference values for the careless indices that careless 1.2.2 does not have
# (rsnprop.data.careless.person_total and .pattern), written as plain R from their definitions,
# and for the block IRV (careless 1.2.2's own irv(split = TRUE), sourced from careless_1.2.2/).
# Data: careless 1.2.2's careless_dataset with injected NAs (data_careless.csv, see
# data_careless.R) plus five planted rows (the test builds the same rows).
# Run from this folder:  Rscript data_careless_new.R   (writes data_careless_new.json)
x <- as.matrix(read.csv("data_careless.csv"))
p <- ncol(x)
j <- 0:(p - 1)
planted <- rbind(
  1 + j %% 7,                                   # diagonal 1-2-...-7-1-...
  ifelse(j %% 2 == 0, 1, 7),                    # zigzag
  replace(rep(4, p), c(10, 20), NA),            # midpoint straight-liner with two NAs
  c(2, 5, 3)[j %% 3 + 1],                       # a motif of three answers repeated
  replace(7 - j %% 7, seq(3, p, by = 9), NA)    # descending diagonal with NAs
)
x <- rbind(x, planted)

# Curran (2016) person-total correlation: each row against the item means
person_total <- function(x) {
  m <- colMeans(x, na.rm = TRUE)
  apply(x, 1, function(r) {
    ok <- !is.na(r)
    if (sum(ok) < 3 || sd(r[ok]) == 0) NA else cor(r[ok], m[ok])
  })
}

# pattern index: max over lags L of the share of the most common difference x[j] - x[j - L]
pattern_index <- function(x, max_lag = 12, min_pairs = 6) {
  apply(x, 1, function(r) {
    best <- NA
    n <- length(r)
    for (L in seq_len(min(max_lag, n - 1))) {
      d <- round(r[(L + 1):n] - r[1:(n - L)])
      d <- d[!is.na(d)]
      if (length(d) >= min_pairs) best <- max(best, max(table(d)) / length(d), na.rm = TRUE)
    }
    best
  })
}

source(file.path("careless_1.2.2", "irv.R"))
blocks <- irv(x, split = TRUE, num.split = 4)
res <- list(irv1 = blocks$irv1, irv2 = blocks$irv2, irv3 = blocks$irv3, irv4 = blocks$irv4,
            irv3_1 = irv(x, split = TRUE, num.split = 3)$irv1,
            person_total = person_total(x), pattern = pattern_index(x),
            pattern_lag4 = pattern_index(x, max_lag = 4, min_pairs = 3))
num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", formatC(v, digits = 15, format = "g")),
                                     collapse = ", "), "]")
body <- paste0('  "', names(res), '": ', sapply(res, num), collapse = ",\n")
writeLines(paste0('{\n  "source": "plain R definitions, ', R.version.string, '",\n', body, "\n}"),
           "data_careless_new.json")
