# Reference values for rsnprop.power.summary and rsnprop.power.analytic.
# Run: Rscript tests/reference/power_summary.R > tests/reference/power_summary.json
num <- function(x) sprintf("%.15g", x)
# Wilson intervals: prop.test without continuity correction
w <- list(c(80, 100), c(3, 50), c(200, 200), c(0, 30), c(517, 1000))
wil <- sapply(w, function(kr) {
  ci <- prop.test(kr[1], kr[2], correct = FALSE)$conf.int
  sprintf('{"k": %d, "r": %d, "lower": %s, "upper": %s}', as.integer(kr[1]), as.integer(kr[2]),
          num(ci[1]), num(ci[2]))
})
# logistic power curve: glm(cbind(k, R - k) ~ log(n), binomial)
n <- c(100, 200, 300, 500); k <- c(31, 104, 151, 187); R <- rep(200, 4)
fit <- glm(cbind(k, R - k) ~ log(n), family = binomial)
cf <- coef(fit)
n80 <- exp((qlogis(0.8) - cf[1]) / cf[2])
# one-sided paired / two-sample t power (noncentral t), as pwr::pwr.t.test would give
pw_paired <- function(d, n, a) { df <- n - 1; ncp <- d * sqrt(n)
  1 - pt(qt(1 - a, df), df, ncp = ncp) }
pw_ind <- function(d, n1, n2, a) { df <- n1 + n2 - 2; ncp <- d / sqrt(1 / n1 + 1 / n2)
  1 - pt(qt(1 - a, df), df, ncp = ncp) }
cat('{"wilson": [', paste(wil, collapse = ", "), '],\n',
    '"logistic": {"n": [100, 200, 300, 500], "k": [31, 104, 151, 187], "reps": 200, ',
    '"a": ', num(cf[1]), ', "b": ', num(cf[2]), ', "n80": ', num(n80), '},\n',
    '"t_power": {"paired_d03_n80_a05": ', num(pw_paired(0.3, 80, 0.05)),
    ', "paired_d03_n80_a0167": ', num(pw_paired(0.3, 80, 0.05 / 3)),
    ', "ind_d05_n60_40_a05": ', num(pw_ind(0.5, 60, 40, 0.05)), '}}\n', sep = "")
