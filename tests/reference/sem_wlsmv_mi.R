# Reference: modification indices of WLSMV fits (ordinal indicators, delta parametrisation) on the
# psych::bfi agreeableness + conscientiousness items (data sem_wlsmv.csv, as sem_wlsmv.R):
# single group, and by gender: configural, metric (loadings) and scalar (loadings + thresholds).
# Run: cd tests/reference && Rscript sem_wlsmv_mi.R   (writes sem_wlsmv_mi.json)
source("sem_helpers.R")
d <- read.csv("sem_wlsmv.csv")
d$gender <- factor(d$gender, levels = c(1, 2))
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
mi_table <- function(f) {
  m <- modindices(f)
  if (!"group" %in% names(m)) m$group <- 1L
  m[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.lv", "sepc.all")]
}
out <- list(info = info(), model = model, n = nrow(d))
f <- cfa(model, data = d, ordered = items, estimator = "WLSMV")
out$single <- list(group_equal = character(0), mi = mi_table(f))
steps <- list(configural = character(0), metric = "loadings", scalar = c("loadings", "thresholds"))
for (s in names(steps)) {
  f <- if (length(steps[[s]])) cfa(model, data = d, ordered = items, group = "gender", group.equal = steps[[s]]) else
    cfa(model, data = d, ordered = items, group = "gender")
  out[[s]] <- list(group_equal = steps[[s]], mi = mi_table(f))
}
write_ref(out, "sem_wlsmv_mi.json")
