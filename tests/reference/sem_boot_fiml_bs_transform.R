# Reference: the Bollen-Stine transformation of incomplete data (semTools:::trans2, Savalei & Yuan
# 2009, transformation 2 of bsBootMiss) with its inputs: lavaan's model-implied Sigma and mu and
# the EM covariance (start of the Newton iteration) of the FIML HS CFA on sem_fiml_mi.csv, single
# group and by school.  Deterministic: compared to 1e-8 given the same inputs.
# Run: cd tests/reference && Rscript sem_boot_fiml_bs_transform.R   (writes sem_boot_fiml_bs_transform.json)
source("sem_helpers.R")
suppressPackageStartupMessages(library(semTools))
d <- read.csv("sem_fiml_mi.csv")
d$school <- factor(d$school, levels = c("Pasteur", "Grant-White"))
xs <- paste0("x", 1:9)
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
one <- function(f, dat, g = 0) {
  sig <- lavInspect(f, "cov.ov"); mu <- lavInspect(f, "mean.ov"); em <- lavInspect(f, "sampstat")
  if (g > 0) { sig <- sig[[g]]; mu <- mu[[g]]; em <- em[[g]] }
  sig <- sig[xs, xs]; mu <- mu[xs]; em <- em$cov[xs, xs]
  x <- dat[, xs]
  y <- as.matrix(semTools:::trans2(dat = x, Sigma = sig, Mu = mu, EMcov = em))
  patt <- apply(ifelse(is.na(x), 1, 0), 1, paste, collapse = "")
  z <- y
  z[unlist(lapply(unique(patt), function(p) which(patt == p))), ] <- y  # back to the data order
  list(sigma = unclass(sig), mu = unname(unclass(mu)), em_cov = unclass(em), x = as.matrix(x), transformed = z)
}
fit <- cfa(model, data = d, missing = "ml")
fit2 <- cfa(model, data = d, missing = "ml", group = "school")
out <- list(info = c(info(), semTools = as.character(packageVersion("semTools"))), model = model,
            single = one(fit, d),
            school = lapply(1:2, function(g) one(fit2, d[d$school == levels(d$school)[g], ], g)))
write_ref(out, "sem_boot_fiml_bs_transform.json")
