# Reference values of tests/test_panel.py (rsnprop.panel: attrition and Little's MCAR test).
# Run from the repository root:  Rscript tests/reference/panel_attrition.R
# R 4.2, lavaan 0.6; writes tests/reference/panel_attrition.json.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
w1 <- read.csv("tests/data/panel/wave1.csv", colClasses = c(firm = "character", phase = "character"))
w2 <- read.csv("tests/data/panel/wave2.csv", colClasses = c(firm = "character", phase = "character"))
w2 <- w2[!is.na(w2$firm) & w2$firm != "", ]
w2 <- w2[!duplicated(w2$firm), ]                      # a firm answering twice: first response kept
stayed <- w1$firm %in% w2$firm

# first-wave profile: Welch t tests (stayed minus left) and Pearson chi-square without correction
tt <- lapply(c("rel", "inf", "bg"), function(v) {
  t <- t.test(w1[[v]][stayed], w1[[v]][!stayed])
  list(variable = v, statistic = unname(t$statistic), df = unname(t$parameter), pvalue = t$p.value,
       stayed = mean(w1[[v]][stayed]), left = mean(w1[[v]][!stayed]))
})
ch <- chisq.test(table(w1$phase, stayed), correct = FALSE)
chi <- list(variable = "phase", statistic = unname(ch$statistic), df = unname(ch$parameter),
            pvalue = ch$p.value)

# Little's MCAR test on the wide panel (rel, inf at both waves) from lavaan's EM (h1) moments
m2 <- w2[match(w1$firm, w2$firm), c("rel", "inf")]
wide <- data.frame(rel1 = w1$rel, inf1 = w1$inf, rel2 = m2$rel, inf2 = m2$inf)
fit <- lavCor(wide, missing = "ml", output = "fit")
h1 <- lavInspect(fit, "sampstat.h1")
mu <- h1$mean[names(wide)]; S <- h1$cov[names(wide), names(wide)]
R <- is.na(wide); key <- apply(R, 1, paste, collapse = "")
d2 <- 0; df <- 0
for (k in unique(key)) {
  rows <- wide[key == k, , drop = FALSE]; obs <- !R[which(key == k)[1], ]
  dif <- colMeans(rows[, obs, drop = FALSE]) - mu[obs]
  d2 <- d2 + nrow(rows) * drop(t(dif) %*% solve(S[obs, obs]) %*% dif)
  df <- df + sum(obs)
}
df <- df - ncol(wide)
mcar <- list(statistic = d2, df = df, pvalue = pchisq(d2, df, lower.tail = FALSE),
             n_patterns = length(unique(key)), em_mean = unname(mu), em_cov = unname(S))

# logistic model of staying on the first-wave answers
d <- data.frame(stayed = as.numeric(stayed), rel = w1$rel, inf = w1$inf, bg = w1$bg,
                phase = factor(w1$phase))
g <- glm(stayed ~ rel + inf + bg + phase, family = binomial, data = d)
co <- summary(g)$coefficients
ci <- confint.default(g)
logit <- list(term = rownames(co), est = unname(co[, 1]), se = unname(co[, 2]), z = unname(co[, 3]),
              pvalue = unname(co[, 4]), or_ci_lower = unname(exp(ci[, 1])),
              or_ci_upper = unname(exp(ci[, 2])),
              lr_chi2 = g$null.deviance - g$deviance, lr_df = g$df.null - g$df.residual)
logit$lr_pvalue <- pchisq(logit$lr_chi2, logit$lr_df, lower.tail = FALSE)

out <- list(n_first = nrow(w1), stayed = sum(stayed), t_tests = tt, chisq = chi, mcar = mcar,
            logistic = logit, R = R.version.string, lavaan = as.character(packageVersion("lavaan")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/panel_attrition.json")

# --- change in D = rel - inf between the waves (rsnprop.panel.change_tests) ------------------
a <- w1[w1$firm %in% w2$firm, ]; b <- w2[match(a$firm, w2$firm), ]
d1 <- a$rel - a$inf; d2 <- b$rel - b$inf; dd <- d2 - d1; g <- a$bg
moved <- as.numeric(b$phase) > as.numeric(a$phase)
tt2list <- function(t) list(estimate = unname(if (length(t$estimate) == 2) t$estimate[1] - t$estimate[2] else t$estimate),
                            t = unname(t$statistic), df = unname(t$parameter), pvalue = t$p.value,
                            ci_lower = t$conf.int[1], ci_upper = t$conf.int[2])
ch <- list(
  group0 = tt2list(t.test(d2[g == 0], d1[g == 0], paired = TRUE)),
  group1 = tt2list(t.test(d2[g == 1], d1[g == 1], paired = TRUE)),
  diff = tt2list(t.test(dd[g == 1], dd[g == 0])),
  stage = tt2list(t.test(dd[moved], dd[!moved], alternative = "greater")),
  n_linked = length(dd), n_moved = sum(moved))
writeLines(toJSON(ch, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/panel_change.json")
