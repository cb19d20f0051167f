# Models that should not be judged by fit indices: df < 0 (not identified) and df = 0 (saturated).
# Run: cd tests/reference && Rscript sem_identification.R   (writes sem_identification.json)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
hs <- read.csv("holzinger_swineford.csv")
keys <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
one <- function(model) {
  f <- suppressWarnings(cfa(model, data = hs))
  pe <- parameterEstimates(f)
  list(model = model, fit = as.list(fitMeasures(f, keys)), se = pe$se, free = pe$se != 0 | is.na(pe$se),
       lhs = pe$lhs, op = pe$op, rhs = pe$rhs)
}
out <- list(lavaan = as.character(packageVersion("lavaan")),
            not_identified = one("visual =~ x1 + x2\nx1 ~~ x2"),
            saturated = one("visual =~ x1 + x2 + x3"),
            dangling = tryCatch({cfa("visual =~ x1 + x2 +", data = hs); "fitted"},
                                error = function(e) conditionMessage(e)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = 10, pretty = TRUE, na = "null"), "sem_identification.json")
