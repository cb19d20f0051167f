# Reference values for rsnprop.measure (reliability, EFA, omega, polychoric, parallel analysis)
# computed with psych.  Run from tests/reference:  Rscript measure_psych.R  -> measure_psych.json
suppressMessages({library(psych); library(GPArotation); library(jsonlite)})
bfi <- read.csv("bfi.csv")
hs <- read.csv("measure_hs.csv")
A <- paste0("A", 1:5); C <- paste0("C", 1:5)
HS <- paste0("x", 1:9)
out <- list()
rev_items <- function(d, items, lo = 1, hi = 6) { for (i in items) d[[i]] <- lo + hi - d[[i]]; d }
mat <- function(m) unname(as.matrix(unclass(m)))

alpha_ref <- function(d, keys = NULL) {
  a <- suppressWarnings(alpha(d, keys = keys, warnings = FALSE))
  list(n = nrow(d), raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
       g6 = a$total[["G6(smc)"]], average_r = a$total$average_r, ase = a$total$ase,
       feldt_lower = a$feldt$lower.ci[[1]], feldt_upper = a$feldt$upper.ci[[1]],
       raw_r = a$item.stats$raw.r, std_r = a$item.stats$std.r, r_cor = a$item.stats$r.cor,
       r_drop = a$item.stats$r.drop, mean = a$item.stats$mean, sd = a$item.stats$sd,
       item_n = a$item.stats$n,
       alpha_if_deleted = a$alpha.drop$raw_alpha, std_alpha_if_deleted = a$alpha.drop$std.alpha)
}
# Agreeableness (A1 reverse keyed), pairwise (psych's default) and listwise
out$alpha_A_pairwise <- alpha_ref(bfi[, A], keys = "A1")
out$alpha_A_listwise <- alpha_ref(na.omit(bfi[, A]), keys = "A1")
# Conscientiousness (C4, C5 reverse keyed)
out$alpha_C_pairwise <- alpha_ref(bfi[, C], keys = c("C4", "C5"))
out$alpha_C_listwise <- alpha_ref(na.omit(bfi[, C]), keys = c("C4", "C5"))
out$alpha_HS_visual <- alpha_ref(hs[, c("x1", "x2", "x3")])

# omega (psych::omega): data already reverse keyed
AC <- rev_items(bfi[, c(A, C)], c("A1", "C4", "C5"))
om_ref <- function(d, nf) {
  o <- suppressMessages(suppressWarnings(omega(d, nfactors = nf, plot = FALSE)))
  list(nfactors = nf, omega_h = o$omega_h, omega_total = o$omega.tot, alpha = o$alpha,
       g6 = o$G6, omega_lim = o$omega.lim, ecv = o$ECV[[1]],
       g_loadings = o$schmid$sl[, 1], h2 = o$schmid$sl[, "h2"])
}
out$omega_A_1 <- om_ref(AC[, A], 1)
out$omega_C_1 <- om_ref(AC[, C], 1)
out$omega_AC_2 <- om_ref(AC, 2)
out$omega_HS_3 <- om_ref(hs[, HS], 3)
out$omega_AC_3 <- om_ref(AC, 3)

# KMO and Bartlett (listwise data, and pairwise correlations as psych does by default)
ACl <- na.omit(AC)
k <- KMO(cor(ACl)); b <- cortest.bartlett(cor(ACl), n = nrow(ACl))
out$kmo_AC_listwise <- list(n = nrow(ACl), msa = k$MSA, msai = unname(k$MSAi),
                            bartlett_chi2 = b$chisq, bartlett_df = b$df, bartlett_p = b$p.value)
k <- KMO(hs[, HS]); b <- cortest.bartlett(cor(hs[, HS]), n = nrow(hs))
out$kmo_HS <- list(n = nrow(hs), msa = k$MSA, msai = unname(k$MSAi),
                   bartlett_chi2 = b$chisq, bartlett_df = b$df, bartlett_p = b$p.value)

# EFA
fa_ref <- function(d, nf, fm, rot) {
  f <- suppressMessages(suppressWarnings(fa(d, nfactors = nf, fm = fm, rotate = rot)))
  list(nfactors = nf, fm = fm, rotate = rot, loadings = mat(f$loadings),
       phi = if (is.null(f$Phi)) NULL else mat(f$Phi), communality = unname(f$communality),
       uniquenesses = unname(f$uniquenesses), values = f$values, e_values = f$e.values,
       ss_loadings = unname(f$Vaccounted[1, ]), objective = f$objective,
       chi2 = f$STATISTIC, dof = f$dof, rmsea = unname(f$RMSEA[1]), tli = f$TLI, bic = f$BIC,
       rms = f$rms)
}
out$efa <- list()
for (fm in c("minres", "ml")) for (rot in c("oblimin", "promax", "varimax", "none")) {
  out$efa[[paste("HS", fm, rot, sep = "_")]] <- fa_ref(hs[, HS], 3, fm, rot)
  out$efa[[paste("AC", fm, rot, sep = "_")]] <- fa_ref(ACl, 2, fm, rot)
}
out$efa[["AC_minres_1"]] <- fa_ref(ACl, 1, "minres", "none")
out$efa[["AC_ml_1"]] <- fa_ref(ACl, 1, "ml", "none")

# Parallel analysis: the observed eigenvalues are deterministic; the simulated ones depend on
# R's random numbers (and psych draws them inside parallel::mclapply, so they change from run
# to run even after set.seed), so only the suggested numbers and rough simulated means are compared.
set.seed(42)
pa <- fa.parallel(hs[, HS], plot = FALSE, n.iter = 20)
out$parallel_HS <- list(fa_values = pa$fa.values, pc_values = pa$pc.values, nfact = pa$nfact,
                        ncomp = pa$ncomp, fa_sim = pa$fa.sim, pc_sim = pa$pc.sim)
set.seed(42)
pa <- fa.parallel(ACl, plot = FALSE, n.iter = 20)
out$parallel_AC <- list(fa_values = pa$fa.values, pc_values = pa$pc.values, nfact = pa$nfact,
                        ncomp = pa$ncomp, fa_sim = pa$fa.sim, pc_sim = pa$pc.sim)

# Polychoric correlations (global thresholds, as psych's default)
p <- polychoric(AC[, c(A, C)])
out$polychoric_AC <- list(rho = mat(p$rho), tau = mat(p$tau))
p <- polychoric(na.omit(AC[, A]))
out$polychoric_A_listwise <- list(rho = mat(p$rho), tau = mat(p$tau))

# Harman's single-factor test: share of variance of one unrotated factor / component
h_fa <- fa(ACl, 1, rotate = "none"); h_pc <- principal(ACl, 1, rotate = "none")
out$harman_AC <- list(fa_prop = h_fa$Vaccounted[2, 1], pc_prop = h_pc$Vaccounted[2, 1])

# omega from polychoric correlations (psych::omega(poly = TRUE): pairwise polychoric)
o <- suppressMessages(suppressWarnings(omega(AC[, A], nfactors = 1, poly = TRUE, plot = FALSE)))
o3 <- suppressMessages(suppressWarnings(omega(AC, nfactors = 3, poly = TRUE, plot = FALSE)))
out$omega_poly_A_1 <- list(omega_h = o$omega_h, omega_total = o$omega.tot)
out$omega_poly_AC_3 <- list(omega_h = o3$omega_h, omega_total = o3$omega.tot)

# bootstrap interval of alpha (psych resamples rows; R's and numpy's random numbers differ,
# so only agreement within Monte Carlo error is expected)
set.seed(7)
ab <- suppressWarnings(alpha(na.omit(bfi[, A]), keys = "A1", n.iter = 1000, warnings = FALSE))
out$alpha_A_listwise_boot <- list(lower = ab$boot.ci[[1]], median = ab$boot.ci[[2]],
                                  upper = ab$boot.ci[[3]])

# 25 bfi items, 5 factors, pairwise (psych's defaults), Pearson and polychoric
B25 <- bfi[, 1:25]
f <- suppressMessages(suppressWarnings(fa(B25, 5)))
out$efa_bfi25_pearson <- list(loadings = mat(f$loadings), phi = mat(f$Phi), n = nrow(B25))
f <- suppressMessages(suppressWarnings(fa(B25, 5, cor = "poly")))
out$efa_bfi25_poly <- list(loadings = mat(f$loadings), phi = mat(f$Phi), n = nrow(B25))

# ordinal alpha: standardised alpha of the polychoric matrix (listwise and pairwise rows)
out$alpha_ordinal_A <- list(
  listwise = alpha(polychoric(na.omit(AC[, A]))$rho)$total$std.alpha,
  pairwise = alpha(polychoric(AC[, A])$rho)$total$std.alpha)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           "measure_psych.json")

