# Reference values for rsnprop.data.careless: the careless package's own R code (1.2.2,
# vendored in careless_1.2.2/ because Debian has no r-cran-careless) on its bundled
# careless_dataset (200 x 50, 10 factors of 5 items), with missing values injected.
# Run from this folder:  Rscript data_careless.R   (writes data_careless.csv and .json)
# Needs: psych (for psych::outlier, used by mahad), jsonlite-free (JSON written by hand).
for (f in c("longstring", "irv", "mahad", "evenodd", "psychsyn", "psychant"))
  source(file.path("careless_1.2.2", paste0(f, ".R")))
if (!file.exists("data_careless.csv")) {
  # careless_dataset.rda comes from the package repository (data/careless_dataset.rda)
  load(Sys.getenv("CARELESS_RDA", "careless_dataset.rda"))
  x <- careless_dataset
  # deterministic missing values: every 7th respondent misses one item, row 13 misses 20
  for (i in seq(7, nrow(x), by = 7)) x[i, (i %% 50) + 1] <- NA
  x[13, 1:20] <- NA
  write.csv(x, "data_careless.csv", row.names = FALSE)
}
x <- read.csv("data_careless.csv")
ls <- longstring(x, avg = TRUE)
res <- list(
  longstring = ls$longstr,
  avgstr = ls$avgstr,
  irv = irv(x),
  mahad = mahad(x, plot = FALSE),
  evenodd = suppressWarnings(evenodd(x, rep(5, 10))),
  psychsyn = psychsyn(x, critval = 0.60, resample_na = FALSE),
  psychsyn_pairs = psychsyn(x, critval = 0.60, diag = TRUE, resample_na = FALSE)$numPairs,
  psychant = psychsyn(cbind(x, setNames(8 - x[, c(1, 6, 11, 16)], paste0("rev", 1:4))),
                      critval = -0.60, anto = TRUE, resample_na = FALSE)
)
num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", formatC(v, digits = 15, format = "g")),
                                     collapse = ", "), "]")
body <- paste0('  "', names(res), '": ', sapply(res, num), collapse = ",\n")
writeLines(paste0('{\n  "source": "careless 1.2.2 R code, ', R.version.string, '",\n', body, "\n}"),
           "data_careless.json")
