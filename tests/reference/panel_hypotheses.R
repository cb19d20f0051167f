# Reference values of tests/test_panel_verdicts.py (rsnprop.panel.hypotheses: observed-score tests
# of the panel hypotheses C1, C2, C3, their TOST and the Holm family).
# Run from the repository root:  Rscript tests/reference/panel_hypotheses.R
# R 4.2 (stats only, jsonlite); writes tests/reference/panel_hypotheses.json.
# Data: tests/data/panel/hyp_wave1.csv, hyp_wave2.csv (tests/data/panel/make_panel_hypotheses.py).
suppressPackageStartupMessages(library(jsonlite))
w1 <- read.csv("tests/data/panel/hyp_wave1.csv", colClasses = c(firm = "character", phase = "character"))
w2 <- read.csv("tests/data/panel/hyp_wave2.csv", colClasses = c(firm = "character", phase = "character"))
w2 <- w2[!is.na(w2$firm) & w2$firm != "", ]
w2 <- w2[!duplicated(w2$firm), ]                      # a firm answering twice: first response kept
m <- w2[match(w1$firm, w2$firm), ]                    # wave-2 row of each first-wave firm (NA: left)
D1 <- w1$score_relational - w1$score_informational
D2 <- m$score_relational - m$score_informational
dD <- D2 - D1
g <- w1$bg_ms20
X1 <- w1$score_intl_approach; X2 <- m$score_intl_approach
moved <- as.numeric(m$phase) > as.numeric(w1$phase)
sesoi <- 0.2

welch <- function(x1, x0) {
  x1 <- x1[!is.na(x1)]; x0 <- x0[!is.na(x0)]
  gr <- t.test(x1, x0, alternative = "greater")
  ls <- t.test(x1, x0, alternative = "less")
  two <- t.test(x1, x0)                               # its 95 % interval, two-sided
  sdp <- sqrt(((length(x1) - 1) * var(x1) + (length(x0) - 1) * var(x0)) / (length(x1) + length(x0) - 2))
  b <- sesoi * sdp                                    # TOST bound: 0.2 x pooled SD of the change
  tost <- max(t.test(x1, x0, mu = -b, alternative = "greater")$p.value,
              t.test(x1, x0, mu = b, alternative = "less")$p.value)
  list(estimate = mean(x1) - mean(x0), se = unname(two$stderr), statistic = unname(gr$statistic),
       df = unname(gr$parameter), p_value = gr$p.value, p_opposite = ls$p.value,
       ci_lower = two$conf.int[1], ci_upper = two$conf.int[2], n = length(x1) + length(x0),
       bound = b, p_tost = tost)
}
paired <- function(sel) {
  ok <- sel & !is.na(D1) & !is.na(D2)
  t <- t.test(D2[ok], D1[ok], paired = TRUE)
  list(estimate = unname(t$estimate), statistic = unname(t$statistic), df = unname(t$parameter),
       p_value = t$p.value, ci_lower = t$conf.int[1], ci_upper = t$conf.int[2], n = sum(ok))
}
slope <- function(fit, term, one_sided, bound_std) {
  s <- summary(fit)$coefficients; df <- fit$df.residual
  b <- s[term, "Estimate"]; se <- s[term, "Std. Error"]; t <- s[term, "t value"]
  ci <- confint(fit, level = 0.95)[term, ]
  out <- list(estimate = b, se = se, statistic = t, df = df, ci_lower = unname(ci[1]),
              ci_upper = unname(ci[2]), n = nobs(fit))
  if (one_sided) {
    mf <- model.frame(fit)
    B <- bound_std * sd(mf[[1]]) / sd(mf[[term]])     # standardized path bound 0.2 / 2 as a slope
    out$p_value <- pt(t, df, lower.tail = FALSE); out$p_opposite <- pt(t, df)
    out$bound <- B
    out$p_tost <- max(pt((b + B) / se, df, lower.tail = FALSE), pt((b - B) / se, df))
    out$std <- b * sd(mf[[term]]) / sd(mf[[1]])
  } else {
    out$p_value <- s[term, "Pr(>|t|)"]
  }
  out
}
C1 <- welch(dD[g == 1], dD[g == 0])
C2 <- welch(dD[moved %in% TRUE], dD[moved %in% FALSE])
C3 <- slope(lm(D2 ~ D1 + X1), "X1", TRUE, sesoi / 2)
rev <- slope(lm(X2 ~ X1 + D1), "D1", FALSE, NA)
holm <- function(k) setNames(p.adjust(c(C1[[k]], C2[[k]], C3[[k]]), "holm"), c("C1", "C2", "C3"))
out <- list(n_first = nrow(w1), linked = sum(!is.na(m$firm)),
            C1 = C1, C2 = C2, C3 = C3, C3_reverse = rev,
            C1_group1 = paired(g == 1), C1_group0 = paired(g == 0),
            holm = list(p_value = as.list(holm("p_value")), p_opposite = as.list(holm("p_opposite")),
                        p_tost = as.list(holm("p_tost"))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/panel_hypotheses.json")
