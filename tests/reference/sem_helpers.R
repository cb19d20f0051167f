# Helpers shared by the sem_*.R reference scripts (run from tests/reference/).
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
pe_table <- function(fit, ...) {
  pe <- parameterEstimates(fit, standardized = TRUE, rsquare = FALSE, ...)
  keep <- intersect(c("lhs","op","rhs","group","label","est","se","z","pvalue","ci.lower","ci.upper","std.lv","std.all"), names(pe))
  pe <- pe[, keep]
  if (!"group" %in% names(pe)) pe$group <- 1L
  pe
}
fm <- function(fit, extra = character()) {
  nm <- c("chisq","df","pvalue","baseline.chisq","baseline.df","cfi","tli","rmsea","rmsea.ci.lower",
          "rmsea.ci.upper","rmsea.pvalue","srmr","aic","bic","logl","unrestricted.logl","npar", extra)
  f <- fitMeasures(fit)
  as.list(f[intersect(nm, names(f))])
}
info <- function() list(lavaan = as.character(packageVersion("lavaan")), R = R.version.string)
write_ref <- function(x, file) writeLines(toJSON(x, auto_unbox = TRUE, digits = 10, pretty = TRUE, na = "null"), file)
