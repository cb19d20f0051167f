# Reference: HS CFA with estimator = "MLR" (Yuan-Bentler scaled chi-square, sandwich SEs).
# Run: cd tests/reference && Rscript sem_mlr.R   (writes sem_mlr.json)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
hs$school <- factor(hs$school, levels = c("Pasteur", "Grant-White"))
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","baseline.chisq.scaled","cfi.scaled","tli.scaled","rmsea.scaled","cfi.robust","tli.robust","rmsea.robust","rmsea.ci.lower.robust","rmsea.ci.upper.robust")
fit <- cfa(model, data = hs, estimator = "MLR")
f2 <- cfa(model, data = hs, estimator = "MLR", group = "school", group.equal = "loadings")
out <- list(info = info(), model = model, fit = fm(fit, ex), estimates = pe_table(fit),
            multigroup_metric = list(fit = fm(f2, ex), estimates = pe_table(f2)))
# invariance with MLR: scaled chi-square difference tests (Satorra-Bentler 2001, lavTestLRT default)
cf <- cfa(model, data = hs, estimator = "MLR", group = "school")
mt <- cfa(model, data = hs, estimator = "MLR", group = "school", group.equal = "loadings")
sc <- cfa(model, data = hs, estimator = "MLR", group = "school", group.equal = c("loadings", "intercepts"))
lrt <- as.data.frame(lavTestLRT(cf, mt, sc))
out$invariance_lrt <- list(chisq_diff = lrt[["Chisq diff"]][2:3], df_diff = lrt[["Df diff"]][2:3],
                           pvalue = lrt[["Pr(>Chisq)"]][2:3], method = attr(lavTestLRT(cf, mt), "heading"))
out$invariance_fit <- list(configural = fm(cf, ex), metric = fm(mt, ex), scalar = fm(sc, ex))
write_ref(out, "sem_mlr.json")
