# Reference: ordinal CFA on psych::bfi agreeableness + conscientiousness items, ordered = TRUE,
# estimator WLSMV (polychorics, DWLS, scaled-shifted chi-square).  Complete cases only.
# Run: cd tests/reference && Rscript sem_wlsmv.R   (writes sem_wlsmv.json, sem_wlsmv.csv)
source("sem_helpers.R")
suppressPackageStartupMessages(library(psych))
items <- c(paste0("A", 1:5), paste0("C", 1:5))
d <- na.omit(bfi[, c(items, "gender")])
write.csv(d, "sem_wlsmv.csv", row.names = FALSE)
model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
fit <- cfa(model, data = d, ordered = items, estimator = "WLSMV")
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","chisq.shift.parameters","cfi.scaled","tli.scaled","rmsea.scaled","rmsea.ci.lower.scaled","rmsea.ci.upper.scaled","cfi.robust","rmsea.robust","srmr")
pc <- lavInspect(fit, "sampstat")
out <- list(info = info(), model = model, n = nrow(d), fit = fm(fit, ex), estimates = pe_table(fit),
            polychoric = unclass(pc$cov), thresholds = as.list(pc$th))
write_ref(out, "sem_wlsmv.json")
