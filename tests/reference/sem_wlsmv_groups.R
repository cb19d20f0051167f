# Reference: multigroup ordinal CFA (WLSMV, delta parametrisation) on psych::bfi items by gender:
# configural, metric (loadings) and scalar (loadings + thresholds) models.
# Run: cd tests/reference && Rscript sem_wlsmv_groups.R   (writes sem_wlsmv_groups.json; data sem_wlsmv.csv)
source("sem_helpers.R")
d <- read.csv("sem_wlsmv.csv")
d$gender <- factor(d$gender, levels = c(1, 2))
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
ex <- c("chisq.scaled","df.scaled","pvalue.scaled","chisq.scaling.factor","chisq.shift.parameters","cfi.scaled","tli.scaled","rmsea.scaled","cfi.robust","tli.robust","rmsea.robust","srmr")
out <- list(info = info(), model = model)
steps <- list(configural = character(0), metric = "loadings", scalar = c("loadings", "thresholds"))
fits <- list()
for (s in names(steps)) {
  f <- if (length(steps[[s]])) cfa(model, data = d, ordered = items, group = "gender", group.equal = steps[[s]]) else
    cfa(model, data = d, ordered = items, group = "gender")
  out[[s]] <- list(group_equal = steps[[s]], fit = fm(f, ex), estimates = pe_table(f))
  fits[[s]] <- f
}
# scaled-shifted difference tests (lavTestLRT default for WLSMV: satorra.2000)
lrt <- as.data.frame(lavTestLRT(fits$configural, fits$metric, fits$scalar))
out$lrt <- list(chisq_diff = lrt[["Chisq diff"]][2:3], df_diff = lrt[["Df diff"]][2:3],
                pvalue = lrt[["Pr(>Chisq)"]][2:3])
write_ref(out, "sem_wlsmv_groups.json")
