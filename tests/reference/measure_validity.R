# Reference values for rsnprop.measure.validity / cmv: CFA-based composite reliability, AVE,
# HTMT, Fornell-Larcker, common latent factor and marker variable, with lavaan + semTools.
# Run from tests/reference:  Rscript measure_validity.R  -> measure_validity.json
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
hs <- read.csv("measure_hs.csv")
bfi <- read.csv("bfi.csv")
A <- paste0("A", 1:5); C <- paste0("C", 1:5)
ac <- bfi[, c(A, C, "age")]
for (i in c("A1", "C4", "C5")) ac[[i]] <- 7 - ac[[i]]
ac <- na.omit(ac)

validity_ref <- function(model, data) {
  fit <- cfa(model, data = data)
  std <- standardizedSolution(fit)
  lam <- std[std$op == "=~", ]
  facs <- unique(lam$lhs)
  cr <- sapply(facs, function(f) { l <- lam$est.std[lam$lhs == f]; sum(l)^2 / (sum(l)^2 + sum(1 - l^2)) })
  ave_std <- sapply(facs, function(f) mean(lam$est.std[lam$lhs == f]^2))
  lv <- lavInspect(fit, "cor.lv")
  list(n = lavInspect(fit, "nobs"),
       factors = facs,
       omega = as.list(compRelSEM(fit)),
       omega_model = as.list(compRelSEM(fit, obs.var = FALSE)),
       ave = as.list(AVE(fit)),
       cr_std = as.list(cr), ave_std = as.list(ave_std),
       std_loadings = setNames(lam$est.std, paste(lam$lhs, lam$rhs, sep = "=~")),
       lv_cor = unname(lv[facs, facs]),
       htmt = unname(unclass(htmt(model, data, htmt2 = FALSE))),
       htmt2 = unname(unclass(htmt(model, data, htmt2 = TRUE))),
       fit = as.list(fitMeasures(fit, c("chisq", "df", "cfi", "rmsea", "srmr"))))
}
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ac_model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
out <- list(hs = validity_ref(hs_model, hs), ac = validity_ref(ac_model, ac))

# common latent factor (unmeasured latent method construct): equal unstandardised loadings,
# orthogonal to the traits
clf_ref <- function(model, data, items, factors) {
  base <- cfa(model, data = data)
  m2 <- paste0(model, "\nCMV =~ ", paste0("1*", items, collapse = " + "), "\n",
               paste0("CMV ~~ 0*", factors, collapse = "\n"))
  fit2 <- suppressWarnings(cfa(m2, data = data))
  s1 <- standardizedSolution(base); s1 <- s1[s1$op == "=~", ]
  s2 <- standardizedSolution(fit2); s2 <- s2[s2$op == "=~", ]
  tr <- s2[s2$lhs != "CMV", ]; mf <- s2[s2$lhs == "CMV", ]
  lrt <- anova(base, fit2)
  list(base_std = s1$est.std, clf_std = tr$est.std, method_std = mf$est.std,
       method_var_share = mean(mf$est.std^2),
       chi2_base = fitMeasures(base, "chisq")[[1]], chi2_clf = fitMeasures(fit2, "chisq")[[1]],
       df_base = fitMeasures(base, "df")[[1]], df_clf = fitMeasures(fit2, "df")[[1]],
       chi2_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2],
       p_diff = lrt[["Pr(>Chisq)"]][2])
}
out$clf_hs <- clf_ref(hs_model, hs, paste0("x", 1:9), c("visual", "textual", "speed"))
out$clf_ac <- clf_ref(ac_model, ac, c(A, C), c("agree", "consc"))

# marker variable (Lindell & Whitney 2001): r_M = smallest positive marker-item correlation,
# r_A = (r - r_M) / (1 - r_M), t = r_A / sqrt((1 - r_A^2) / (n - 3))
R <- cor(ac[, c(A, C)]); rmk <- cor(ac[, c(A, C)], ac$age)[, 1]
pos <- rmk[rmk > 0]
rM <- if (length(pos)) min(pos) else min(abs(rmk))
RA <- (R - rM) / (1 - rM); diag(RA) <- 1
n <- nrow(ac)
tA <- RA / sqrt((1 - RA^2) / (n - 3)); diag(tA) <- NA
pA <- 2 * pt(abs(tA), df = n - 3, lower.tail = FALSE)
out$marker_ac <- list(n = n, r_marker = unname(rmk), r_m = rM, adjusted = unname(RA),
                      p = unname(pA))

# full-information ML (missing = "ml"): bfi agreeableness/conscientiousness with its missing
# values; compRelSEM/AVE use the EM (h1) covariance, htmt(missing = "ml") the EM correlations
acm <- bfi[, c(A, C)]
for (i in c("A1", "C4", "C5")) acm[[i]] <- 7 - acm[[i]]
fitm <- cfa(ac_model, data = acm, missing = "ml")
stdm <- standardizedSolution(fitm); lamm <- stdm[stdm$op == "=~", ]
out$ac_fiml <- list(n = lavInspect(fitm, "nobs"), factors = c("agree", "consc"),
                    omega = as.list(compRelSEM(fitm)), ave = as.list(AVE(fitm)),
                    std_loadings = lamm$est.std,
                    lv_cor = unname(lavInspect(fitm, "cor.lv")),
                    htmt = unname(unclass(htmt(ac_model, acm, missing = "ml", htmt2 = FALSE))),
                    fit = as.list(fitMeasures(fitm, c("chisq", "df", "cfi", "rmsea"))))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           "measure_validity.json")
