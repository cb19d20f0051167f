# Reference: observed exogenous covariates (fixed.x = TRUE): a MIMIC model and a path model with
# observed variables only, single and multigroup (HS data).
# Run: cd tests/reference && Rscript sem_mimic.R   (writes sem_mimic.json)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
hs$school <- factor(hs$school, levels = c("Pasteur", "Grant-White"))
mimic <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr + sex\ntextual ~ ageyr"
path <- "x4 ~ x1 + x2\nx5 ~ x4 + x1\nx6 ~ x5"
f1 <- sem(mimic, data = hs)
f2 <- sem(path, data = hs)
f3 <- sem(mimic, data = hs, group = "school", group.equal = "loadings")
out <- list(info = info(), mimic = mimic, path = path,
            mimic_fit = list(fit = fm(f1), estimates = pe_table(f1), r2 = as.list(inspect(f1, "r2"))),
            path_fit = list(fit = fm(f2), estimates = pe_table(f2), r2 = as.list(inspect(f2, "r2"))),
            mimic_group = list(fit = fm(f3), estimates = pe_table(f3)))
f4 <- sem(mimic, data = hs, estimator = "MLR")
out$mimic_mlr <- list(fit = fm(f4, c("chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "cfi.robust", "rmsea.robust")),
                      estimates = pe_table(f4))
write_ref(out, "sem_mimic.json")
