# Reference layout and numbers for SEMResult.summary(fit_measures=True, standardized=True):
# lavaan's summary(fit, fit.measures = TRUE, standardized = TRUE), captured as text.
# Run: cd tests/reference && Rscript sem_summary.R   (writes sem_summary_<case>.txt, sem_summary.json)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
hs <- read.csv("holzinger_swineford.csv")
hs$school <- factor(hs$school, levels = c("Pasteur", "Grant-White"))
hs_miss <- read.csv("sem_fiml.csv")  # HS with 8 % MCAR values per item (sem_fiml.R)
poldem <- read.csv("sem_poldem.csv")
bfi <- read.csv("bfi.csv")
bfi_items <- c("A1", "A2", "A3", "C1", "C2", "C3")
bfi_model <- "agree =~ A1 + A2 + A3\nconsc =~ C1 + C2 + C3"
cfa3 <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
poldem_model <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
"
fits <- list(
  hs_ml = cfa(cfa3, data = hs),
  hs_mlr_groups = cfa(cfa3, data = hs, estimator = "MLR", group = "school"),
  hs_listwise = cfa(cfa3, data = hs_miss),
  hs_fiml = cfa(cfa3, data = hs_miss, missing = "ml"),
  poldem = sem(poldem_model, data = poldem),
  bfi_wlsmv = cfa(bfi_model, data = bfi[, bfi_items], ordered = bfi_items)
)
info <- list(lavaan = as.character(packageVersion("lavaan")), R = R.version.string,
             models = list(hs_ml = cfa3, hs_mlr_groups = cfa3, hs_listwise = cfa3, hs_fiml = cfa3,
                           poldem = poldem_model, bfi_wlsmv = bfi_model),
             ordered = bfi_items)
for (nm in names(fits)) {
  txt <- capture.output(summary(fits[[nm]], fit.measures = TRUE, standardized = TRUE))
  writeLines(txt, paste0("sem_summary_", nm, ".txt"))
}
writeLines(toJSON(info, auto_unbox = TRUE, pretty = TRUE), "sem_summary.json")
