# Reference: HS CFA with missing values (MCAR, seed 2024) and missing = "ml" (FIML), ML and MLR.
# Run: cd tests/reference && Rscript sem_fiml.R   (writes sem_fiml.json, sem_fiml.csv)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
set.seed(2024)
xs <- paste0("x", 1:9)
d <- hs[, c("school", xs)]
for (v in xs) d[runif(nrow(d)) < 0.08, v] <- NA
write.csv(d, "sem_fiml.csv", row.names = FALSE, na = "")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
fit <- cfa(model, data = d, missing = "ml")
fit2 <- cfa(model, data = d, missing = "ml", estimator = "MLR")
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","cfi.scaled","tli.scaled","rmsea.scaled","cfi.robust","tli.robust","rmsea.robust","rmsea.ci.lower.robust","rmsea.ci.upper.robust")
out <- list(info = info(), model = model, n_complete = sum(complete.cases(d)),
            fit = fm(fit, c("cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust")), estimates = pe_table(fit),
            mlr = list(fit = fm(fit2, ex), estimates = pe_table(fit2)))
fit3 <- cfa(model, data = d)
out$listwise <- list(fit = fm(fit3), estimates = pe_table(fit3))
# multigroup (school) metric model with FIML and MLR
fit4 <- cfa(model, data = d, missing = "ml", estimator = "MLR", group = "school", group.equal = "loadings")
out$mlr_metric_group <- list(fit = fm(fit4, ex), estimates = pe_table(fit4))
write_ref(out, "sem_fiml.json")
