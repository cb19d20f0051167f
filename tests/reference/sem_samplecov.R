# Reference: models fitted from published summary statistics (sample.cov / sample.nobs /
# sample.mean), lavaan's conventions (the matrix is taken as unbiased and rescaled by (N-1)/N for
# ML).  Wheaton et al. (1977), stability of alienation, N = 932: the covariance matrix is lavaan's
# own example (example(getCov), run here), written to sem_samplecov_wheaton.csv (full) and
# sem_samplecov_wheaton_lower.csv (lower triangle), and as correlations + standard deviations
# (sem_samplecov_wheaton_cor.csv, sem_samplecov_wheaton_sd.csv).  Multigroup: HS covariance
# matrices and means per school (cov(), i.e. unbiased), written to sem_samplecov_hs_<school>.csv and
# sem_samplecov_hs_means.csv, fitted with group.equal = "loadings" (with means) and without means.
# Run: cd tests/reference && Rscript sem_samplecov.R   (writes sem_samplecov.json)
source("sem_helpers.R")
example(getCov, package = "lavaan", echo = FALSE)   # defines wheaton.cov and wheaton.model
write.csv(wheaton.cov, "sem_samplecov_wheaton.csv")
low <- wheaton.cov; low[upper.tri(low)] <- NA
write.csv(low, "sem_samplecov_wheaton_lower.csv", na = "")
write.csv(cov2cor(wheaton.cov), "sem_samplecov_wheaton_cor.csv")
write.csv(data.frame(variable = colnames(wheaton.cov), sd = sqrt(diag(wheaton.cov))),
          "sem_samplecov_wheaton_sd.csv", row.names = FALSE)
ex <- c("baseline.chisq", "baseline.df")
out <- list(info = info(), wheaton = list(model = wheaton.model, nobs = 932))
f <- sem(wheaton.model, sample.cov = wheaton.cov, sample.nobs = 932)
out$wheaton$fit <- fm(f); out$wheaton$estimates <- pe_table(f)
# the same with unbiased = FALSE? no: lavaan's default sample.cov.rescale = TRUE is the convention
# HS per school
hs <- read.csv("holzinger_swineford.csv")
vars <- paste0("x", 1:9)
schools <- c("Pasteur", "Grant-White")
covs <- lapply(schools, function(s) cov(hs[hs$school == s, vars]))
means <- lapply(schools, function(s) colMeans(hs[hs$school == s, vars]))
ns <- sapply(schools, function(s) sum(hs$school == s))
for (k in 1:2) write.csv(covs[[k]], paste0("sem_samplecov_hs_", schools[k], ".csv"))
write.csv(do.call(rbind, means), "sem_samplecov_hs_means.csv", row.names = schools)
m <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
g1 <- cfa(m, sample.cov = covs, sample.mean = means, sample.nobs = as.list(ns), group.equal = "loadings")
g0 <- cfa(m, sample.cov = covs, sample.nobs = as.list(ns))
s1 <- cfa(m, sample.cov = covs[[1]], sample.mean = means[[1]], sample.nobs = ns[[1]])
out$hs <- list(model = m, nobs = as.list(ns), groups = schools,
               metric_means = list(fit = fm(g1), estimates = pe_table(g1)),
               configural = list(fit = fm(g0), estimates = pe_table(g0)),
               single_means = list(fit = fm(s1), estimates = pe_table(s1)))
write_ref(out, "sem_samplecov.json")
