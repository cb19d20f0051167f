# Reference values for rsnprop.propositions (tests/test_propositions_r.py).
# Run: cd tests/reference && Rscript propositions.R   (writes propositions.json)
# Data: propositions_data.csv (synthetic clean data, rsnprop.propositions.synthetic, seed 2026).
suppressPackageStartupMessages({library(sandwich); library(lmtest); library(car); library(jsonlite)})
d <- read.csv("propositions_data.csv", stringsAsFactors = FALSE)
d$D <- d$score_relational - d$score_informational
d$log_employees <- log1p(d$employees)
tr <- d[d$bg_ms20 == 0, ]; bg <- d[d$bg_ms20 == 1, ]
out <- list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
            car = as.character(packageVersion("car")))

dz_ci <- function(x) {
  n <- length(x); t <- mean(x) / sd(x) * sqrt(n); df <- n - 1
  f <- function(ncp, p) pt(t, df, ncp) - p
  lo <- uniroot(f, c(t - 6, t + 6), p = 0.975, tol = 1e-12)$root
  hi <- uniroot(f, c(t - 6, t + 6), p = 0.025, tol = 1e-12)$root
  c(dz = mean(x) / sd(x), lower = lo / sqrt(n), upper = hi / sqrt(n))
}
tost <- function(x, b) max(t.test(x, mu = -b, alternative = "greater")$p.value,
                           t.test(x, mu = b, alternative = "less")$p.value)
within <- function(g, sign) {
  e <- sign * g$D
  tt <- t.test(e, alternative = "greater")
  ci <- dz_ci(e)
  w <- wilcox.test(e, alternative = "greater", exact = FALSE, correct = TRUE)
  # Hodges-Lehmann by definition (median of Walsh averages), and R's own (exact = TRUE:
  # the median of the Walsh averages; the asymptotic version solves for it numerically)
  walsh <- outer(e, e, "+") / 2
  hl <- median(walsh[upper.tri(walsh, diag = TRUE)])
  hl_r <- unname(wilcox.test(e, conf.int = TRUE, exact = TRUE)$estimate)
  list(n = length(e), t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
       p_opposite = t.test(e, alternative = "less")$p.value, mean = mean(e),
       dz = unname(ci["dz"]), dz_lower = unname(ci["lower"]), dz_upper = unname(ci["upper"]),
       tost_p = tost(e, 0.2 * sd(e)), wilcoxon_p = w$p.value, hl = hl, hl_r = hl_r)
}
out$P1 <- within(tr, -1)   # traditional: informational - relational
out$P2 <- within(bg, +1)   # born global: relational - informational

# interaction: OLS D ~ bg, classical and HC3; Welch; Mann-Whitney; mixed ANOVA
fit <- lm(D ~ bg_ms20, data = d)
cl <- coeftest(fit); hc <- coeftest(fit, vcov = vcovHC(fit, type = "HC3"))
df_r <- fit$df.residual
out$ols <- list(est = unname(coef(fit)[2]), se = cl[2, 2], t = cl[2, 3], df = df_r,
                p = pt(cl[2, 3], df_r, lower.tail = FALSE),
                se_hc3 = hc[2, 2], t_hc3 = hc[2, 3], p_hc3 = pt(hc[2, 3], df_r, lower.tail = FALSE))
wt <- t.test(bg$D, tr$D, alternative = "greater")
out$welch <- list(t = unname(wt$statistic), df = unname(wt$parameter), p = wt$p.value)
n1 <- nrow(bg); n0 <- nrow(tr); dfp <- n1 + n0 - 2
sp <- sqrt(((n1 - 1) * var(bg$D) + (n0 - 1) * var(tr$D)) / dfp)
J <- exp(lgamma(dfp / 2) - log(sqrt(dfp / 2)) - lgamma((dfp - 1) / 2))
out$hedges_g <- J * (mean(bg$D) - mean(tr$D)) / sp
mw <- wilcox.test(bg$D, tr$D, alternative = "greater", exact = FALSE, correct = TRUE)
out$mann_whitney <- list(W = unname(mw$statistic), p = mw$p.value,
                         hl = median(outer(bg$D, tr$D, "-")),
                         hl_r = unname(wilcox.test(bg$D, tr$D, conf.int = TRUE, exact = TRUE)$estimate))
long <- rbind(data.frame(id = d$resp_id, bg = factor(d$bg_ms20), benefit = "rel", score = d$score_relational),
              data.frame(id = d$resp_id, bg = factor(d$bg_ms20), benefit = "inf", score = d$score_informational))
long$id <- factor(long$id); long$benefit <- factor(long$benefit)
a <- summary(aov(score ~ bg * benefit + Error(id / benefit), data = long))
tab <- a[["Error: id:benefit"]][[1]]
out$mixed_anova <- list(F = tab["bg:benefit", "F value"], p = tab["bg:benefit", "Pr(>F)"])
out$holm <- p.adjust(c(out$P1$p, out$P2$p, out$ols$p), method = "holm")

# controls: HC3 with b2b, phase, log(1 + employees), sector (treatment contrasts)

fitc <- lm(D ~ bg_ms20 + b2b + phase + log_employees + factor(sector), data = d)
hcc <- coeftest(fitc, vcov = vcovHC(fitc, type = "HC3"))
out$ols_controls <- list(est = unname(coef(fitc)[2]), se_hc3 = hcc[2, 2],
                         p_hc3 = pt(hcc[2, 3], fitc$df.residual, lower.tail = FALSE))
# within-group mean of D adjusted for centred controls (traditional, informational lean)
X <- scale(model.matrix(~ b2b + phase + log_employees + factor(sector), data = tr)[, -1], scale = FALSE)
e <- -tr$D
fitw <- lm(e ~ X)
hw <- coeftest(fitw, vcov = vcovHC(fitw, type = "HC3"))
out$within_controls_P1 <- list(est = unname(coef(fitw)[1]), se_hc3 = hw[1, 2],
                               p_hc3 = pt(hw[1, 3], fitw$df.residual, lower.tail = FALSE))
# continuous: slope on the approach score (HC3); moderation by phase (HC3 Wald F)
fa <- lm(D ~ score_intl_approach, data = d)
ha <- coeftest(fa, vcov = vcovHC(fa, type = "HC3"))
out$approach <- list(est = unname(coef(fa)[2]), se_hc3 = ha[2, 2],
                     p_hc3 = pt(ha[2, 3], fa$df.residual, lower.tail = FALSE))
d$phase_c <- d$phase - mean(d$phase)
fm <- lm(D ~ bg_ms20 * phase_c, data = d)
lh <- linearHypothesis(fm, "bg_ms20:phase_c = 0", vcov. = vcovHC(fm, type = "HC3"), test = "F")
out$moderation_phase <- list(F = lh$F[2], p = lh[["Pr(>F)"]][2])
fs <- lm(D ~ bg_ms20 * factor(sector), data = d)
terms <- grep("^bg_ms20:", names(coef(fs)), value = TRUE)
ls_ <- linearHypothesis(fs, paste(terms, "= 0"), vcov. = vcovHC(fs, type = "HC3"), test = "F")
out$moderation_sector <- list(F = ls_$F[2], p = ls_[["Pr(>F)"]][2], df_num = length(terms))
# A2: traditional firms' informational lean on phase (HC3)
tr$lean <- tr$score_informational - tr$score_relational
f2 <- lm(lean ~ phase, data = tr)
h2 <- coeftest(f2, vcov = vcovHC(f2, type = "HC3"))
out$A2 <- list(est = unname(coef(f2)[2]), se_hc3 = h2[2, 2], p_hc3 = pt(h2[2, 3], f2$df.residual, lower.tail = FALSE))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "propositions.json")
