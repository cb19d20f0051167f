# Reference: ordinal CFA (WLSMV) in the theta parametrisation (residual variances of the latent
# responses as parameters) on the psych::bfi agreeableness + conscientiousness items (data
# sem_wlsmv.csv, as sem_wlsmv.R): single group, and by gender the invariance sequence configural,
# metric (loadings), scalar (+ thresholds) and strict (+ residual variances; lavaan's
# group.equal = c("thresholds", "loadings", "intercepts", "residuals")), with the scaled-shifted
# difference tests (lavTestLRT, satorra.2000).
# Run: cd tests/reference && Rscript sem_wlsmv_theta.R   (writes sem_wlsmv_theta.json)
source("sem_helpers.R")
d <- read.csv("sem_wlsmv.csv")
d$gender <- factor(d$gender, levels = c(1, 2))
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","chisq.shift.parameters","cfi.scaled","tli.scaled","rmsea.scaled","cfi.robust","tli.robust","rmsea.robust","srmr")
out <- list(info = info(), model = model)
f <- cfa(model, data = d, ordered = items, parameterization = "theta")
out$single <- list(group_equal = character(0), fit = fm(f, ex), estimates = pe_table(f))
steps <- list(configural = character(0), metric = "loadings", scalar = c("loadings", "thresholds"),
              strict = c("loadings", "thresholds", "intercepts", "residuals"))
fits <- list()
for (s in names(steps)) {
  f <- if (length(steps[[s]])) cfa(model, data = d, ordered = items, group = "gender", parameterization = "theta",
                                   group.equal = steps[[s]]) else
    cfa(model, data = d, ordered = items, group = "gender", parameterization = "theta")
  out[[s]] <- list(group_equal = steps[[s]], fit = fm(f, ex), estimates = pe_table(f))
  fits[[s]] <- f
}
lrt <- as.data.frame(lavTestLRT(fits$configural, fits$metric, fits$scalar, fits$strict))
out$lrt <- list(chisq_diff = lrt[["Chisq diff"]][2:4], df_diff = lrt[["Df diff"]][2:4],
                pvalue = lrt[["Pr(>Chisq)"]][2:4])
write_ref(out, "sem_wlsmv_theta.json")
