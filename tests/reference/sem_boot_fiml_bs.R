# Reference: Bollen-Stine bootstrap of a FIML fit (missing = "ml") of the HS three-factor CFA, data
# of sem_fiml_mi.csv (about 10 % of x1..x9 deleted completely at random, seed 20240).
# lavaan itself refuses it (0.6-14 and 0.7-2: "bollen.stine/yuan bootstrap not available for
# missing data"); the reference implementation is semTools::bsBootMiss(), transformation 2 of
# Savalei & Yuan (2009): one symmetric matrix A solving the FIML covariance score equations at
# the model-implied moments (Newton from the symmetrised Sigma^1/2 S_EM^-1/2), each pattern
# centred at its own means and mapped to A_oo (x_o - xbar_j,o) + mu_o.  Each draw is refitted by
# lavaan with missing = "ml" and its chisq kept (Monte Carlo values: tests use a tolerance).
# The transformed data (single group and by school) are deterministic: compared to 1e-4 with rsnprop's
# own estimates (exactly, given lavaan's moments: sem_boot_fiml_bs_transform.R).
# Run: cd tests/reference && Rscript sem_boot_fiml_bs.R   (writes sem_boot_fiml_bs.json; 2 x 1000 lavaan FIML fits: 10-25 min)
source("sem_helpers.R")
suppressPackageStartupMessages(library(semTools))
d <- read.csv("sem_fiml_mi.csv")
d$school <- factor(d$school, levels = c("Pasteur", "Grant-White"))
xs <- paste0("x", 1:9)
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
# trans2 returns the rows grouped by pattern (order of first appearance): put them back in order
row_order <- function(dat) {
  patt <- apply(ifelse(is.na(dat), 1, 0), 1, paste, collapse = "")
  unlist(lapply(unique(patt), function(p) which(patt == p)))
}
transformed <- function(f, dat, g = 0) {
  sig <- lavInspect(f, "cov.ov"); mu <- lavInspect(f, "mean.ov"); em <- lavInspect(f, "sampstat")
  if (g > 0) { sig <- sig[[g]]; mu <- mu[[g]]; em <- em[[g]] }
  em <- em$cov
  y <- semTools:::trans2(dat = dat[, xs], Sigma = sig[xs, xs], Mu = mu[xs], EMcov = em[xs, xs])
  out <- as.matrix(y)
  out[row_order(dat[, xs]), ] <- as.matrix(y)
  out
}
fit <- cfa(model, data = d, missing = "ml")
fit2 <- cfa(model, data = d, missing = "ml", group = "school")
t1 <- transformed(fit, d)
t2 <- lapply(1:2, function(g) transformed(fit2, d[d$school == levels(d$school)[g], ], g))
set.seed(1234)
bs <- bsBootMiss(fit, transformation = 2, nBoot = 1000, showProgress = FALSE)
boot_summary <- function(f, bs) {
  b <- bs@bootDist
  chi <- fitMeasures(f, "chisq")
  list(chisq = unname(chi), df = unname(fitMeasures(f, "df")), successful = sum(!is.na(b)),
       bollen_stine_p = mean(b[!is.na(b)] >= chi), boot_chisq_mean = mean(b, na.rm = TRUE),
       boot_chisq_sd = sd(b, na.rm = TRUE))
}
# a model that fits (FIML p about 0.23): an informative Bollen-Stine p-value
model2 <- "textual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
fit3 <- cfa(model2, data = d, missing = "ml")
set.seed(1234)
bs2 <- bsBootMiss(fit3, transformation = 2, nBoot = 1000, showProgress = FALSE)
out <- list(info = c(info(), semTools = as.character(packageVersion("semTools"))), model = model, R = 1000,
            hs3 = boot_summary(fit, bs), model2 = model2, two = boot_summary(fit3, bs2),
            transformed = t1, transformed_school = t2)
write_ref(out, "sem_boot_fiml_bs.json")
