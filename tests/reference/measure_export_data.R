# Export psych's bfi (25 personality items + gender, education, age) to bfi.csv and the
# Holzinger-Swineford data (lavaan) to holzinger_swineford.csv, for rsnprop's measurement tests.
# Run from tests/reference:  Rscript measure_export_data.R
suppressMessages({library(psychTools); library(lavaan)})
data(bfi, package = "psychTools")
write.csv(bfi, "bfi.csv", row.names = FALSE, na = "")
# (Holzinger-Swineford: measure_hs.csv is a copy of shared/ref/holzinger_swineford.csv)
