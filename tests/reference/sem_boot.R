# Reference: bootstrap CIs of the HS CFA (1000 nonparametric draws, percentile and BCa) and
# Bollen-Stine bootstrap p-value.  Monte Carlo values: tests compare with a tolerance.
# Run: cd tests/reference && Rscript sem_boot.R   (writes sem_boot.json)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
set.seed(1234)
fit <- cfa(model, data = hs, se = "bootstrap", bootstrap = 1000)
set.seed(1234)
bs <- bootstrapLavaan(cfa(model, data = hs), R = 1000, type = "bollen.stine", FUN = fitMeasures, fit.measures = "chisq")
chi <- fitMeasures(fit, "chisq")
out <- list(info = info(), model = model, R = 1000,
            perc = pe_table(fit, boot.ci.type = "perc"),
            bca = pe_table(fit, boot.ci.type = "bca.simple"),
            bollen_stine_p = mean(bs[, 1] >= chi))
write_ref(out, "sem_boot.json")
