# Reference: lavaan's PoliticalDemocracy SEM (regressions, correlated residuals, labels, :=).
# Run: cd tests/reference && Rscript sem_poldem.R   (writes sem_poldem.json, sem_poldem.csv)
source("sem_helpers.R")
write.csv(PoliticalDemocracy, "sem_poldem.csv", row.names = FALSE)
model <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  dem60 ~ g1*ind60
  dem65 ~ g2*ind60 + g3*dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  indirect := g1*g3
  total := g2 + g1*g3
"
fit <- sem(model, data = PoliticalDemocracy)
mi <- modindices(fit, sort. = TRUE)
out <- list(info = info(), model = model, fit = fm(fit), estimates = pe_table(fit),
            r2 = as.list(inspect(fit, "r2")), mi = head(mi[, c("lhs","op","rhs","mi","epc","sepc.all")], 10))
fit2 <- sem(model, data = PoliticalDemocracy, estimator = "MLR")
out$mlr <- list(fit = fm(fit2, c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","cfi.scaled","tli.scaled","rmsea.scaled","cfi.robust","tli.robust","rmsea.robust","rmsea.ci.lower.robust","rmsea.ci.upper.robust","srmr")), estimates = pe_table(fit2))
write_ref(out, "sem_poldem.json")
