# Reference values for rsnprop.data.missing (Little's MCAR test, Rubin's rules).
# Debian has no r-cran-naniar / BaylorEdPsych / norm, so Little's statistic is computed here
# with naniar::mcar_test's formula (pattern means vs ML estimates) and lavaan's EM estimates
# of the mean vector and covariance matrix (lavCor(missing = "ml")): an implementation
# independent of rsnprop's EM. Published check: naniar's documentation reports
# mcar_test(airquality) = 35.1, df 14, p 0.00142, 4 patterns.
# Rubin's rules: mice::pool.scalar (mice 3.15).
# Run from this folder: Rscript data_missing.R   (writes data_missing_*.csv and data_missing.json)
suppressMessages({library(lavaan); library(mice)})

little <- function(x) {
  x <- as.matrix(x)
  fit <- lavCor(as.data.frame(x), missing = "ml", output = "fit",
                estimator = "ML", se = "none")
  imp <- lavInspect(fit, "implied")
  mu <- imp$mean[colnames(x)]; S <- imp$cov[colnames(x), colnames(x)]
  r <- 1 * is.na(x)
  keep <- rowSums(r) < ncol(x)
  x <- x[keep, , drop = FALSE]; r <- r[keep, , drop = FALSE]
  pat <- apply(r, 1, paste, collapse = "")
  d2 <- 0; df <- -ncol(x)
  for (p in unique(pat)) {
    rows <- x[pat == p, , drop = FALSE]
    o <- which(r[which(pat == p)[1], ] == 0)
    dif <- colMeans(rows[, o, drop = FALSE]) - mu[o]
    d2 <- d2 + nrow(rows) * drop(t(dif) %*% solve(S[o, o, drop = FALSE]) %*% dif)
    df <- df + length(o)
  }
  list(statistic = d2, df = df, p_value = pchisq(d2, df, lower.tail = FALSE),
       missing_patterns = length(unique(pat)), mu = unname(mu), sigma = unname(c(S)))
}

write.csv(airquality, "data_missing_airquality.csv", row.names = FALSE, na = "")
hs <- HolzingerSwineford1939[, paste0("x", 1:9)]
# MAR: x1 missing when x4 is high, x7 missing for every 5th row, x9 for every 7th
hs$x1[hs$x4 > quantile(hs$x4, 0.8)] <- NA
hs$x7[seq(5, nrow(hs), by = 5)] <- NA
hs$x9[seq(7, nrow(hs), by = 7)] <- NA
write.csv(hs, "data_missing_hs.csv", row.names = FALSE, na = "")

aq <- little(read.csv("data_missing_airquality.csv"))
h <- little(read.csv("data_missing_hs.csv"))

Q <- c(0.512, 0.498, 0.530, 0.541, 0.507)
U <- c(0.0041, 0.0039, 0.0044, 0.0040, 0.0042)
pr <- pool.scalar(Q, U, n = 200, k = 1)
pinf <- pool.scalar(Q, U)

num <- function(v) paste0("[", paste(formatC(v, digits = 15, format = "g"), collapse = ", "), "]")
one <- function(v) formatC(v, digits = 15, format = "g")
obj <- function(l) paste0("{", paste0('"', names(l), '": ',
  sapply(l, function(v) if (length(v) > 1) num(v) else one(v)), collapse = ", "), "}")
writeLines(c("{",
  paste0('  "source": "', R.version.string, ", lavaan ", packageVersion("lavaan"), ", mice ",
         packageVersion("mice"), '",'),
  paste0('  "airquality": ', obj(aq), ","),
  paste0('  "hs_mar": ', obj(h), ","),
  paste0('  "pool_Q": ', num(Q), ', "pool_U": ', num(U), ","),
  paste0('  "pool_n200": ', obj(pr[c("qbar", "ubar", "b", "t", "df", "r", "fmi")]), ","),
  paste0('  "pool_inf": ', obj(pinf[c("qbar", "ubar", "b", "t", "df", "r", "fmi")])),
  "}"), "data_missing.json")
