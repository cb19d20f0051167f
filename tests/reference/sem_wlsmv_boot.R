# Reference: bootstrap SEs and CIs of a WLSMV fit (ordinal indicators): psych::bfi agreeableness
# items (lavaan 0.6-14 bootstraps only with estimator = "DWLS": same estimates as WLSMV), the first 800 complete cases of sem_wlsmv.csv, 1000 nonparametric draws (lavaan drops
# draws in which a category is empty).  Monte Carlo values: tests compare with a tolerance.
# Run: cd tests/reference && Rscript sem_wlsmv_boot.R   (writes sem_wlsmv_boot.json)
source("sem_helpers.R")
d <- read.csv("sem_wlsmv.csv")[1:800, paste0("A", 1:5)]
model <- "agree =~ A1 + A2 + A3 + A4 + A5"
set.seed(1234)
fit <- cfa(model, data = d, ordered = paste0("A", 1:5), estimator = "DWLS", se = "bootstrap",
           bootstrap = 1000)
out <- list(info = info(), model = model, R = 1000, n = nrow(d),
            successful = nrow(lavInspect(fit, "boot")),
            perc = pe_table(fit, boot.ci.type = "perc"),
            bca = pe_table(fit, boot.ci.type = "bca.simple"))
write_ref(out, "sem_wlsmv_boot.json")
