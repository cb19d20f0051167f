# Reference: bootstrap CIs of the defined (indirect, total) effects of the PoliticalDemocracy SEM
# (1000 nonparametric draws, percentile).  Monte Carlo values: tests compare with a tolerance.
# Run: cd tests/reference && Rscript sem_boot_poldem.R   (writes sem_boot_poldem.json)
source("sem_helpers.R")
d <- read.csv("sem_poldem.csv")
model <- paste(readLines("sem_poldem.R"), collapse = "\n")
model <- sub('.*model <- "([^"]*)".*', "\\1", model)
set.seed(42)
fit <- sem(model, data = d, se = "bootstrap", bootstrap = 1000)
out <- list(info = info(), model = model, R = 1000, perc = pe_table(fit, boot.ci.type = "perc"))
write_ref(out, "sem_boot_poldem.json")
