# Reference: modification indices of FIML models (missing = "ml"), HS three-factor CFA with about
# 10 % of the values of x1..x9 deleted completely at random (seed 20240), single group and by
# school (configural).  lavaan's modindices(): score test with the expected information of the
# FIML likelihood.
# Run: cd tests/reference && Rscript sem_fiml_mi.R   (writes sem_fiml_mi.csv, sem_fiml_mi.json)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
set.seed(20240)
xs <- paste0("x", 1:9)
d <- hs[, c("school", xs)]
for (v in xs) d[runif(nrow(d)) < 0.10, v] <- NA
write.csv(d, "sem_fiml_mi.csv", row.names = FALSE, na = "")
d <- read.csv("sem_fiml_mi.csv")
d$school <- factor(d$school, levels = c("Pasteur", "Grant-White"))
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
mi_table <- function(f) {
  mi <- modindices(f, sort. = TRUE)
  keep <- intersect(c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.lv", "sepc.all"), names(mi))
  mi <- as.data.frame(mi[, keep])
  if (!"group" %in% names(mi)) mi$group <- 1L
  mi
}
fit <- cfa(model, data = d, missing = "ml")
fit2 <- cfa(model, data = d, missing = "ml", group = "school")
out <- list(info = info(), model = model, fraction_missing = mean(is.na(d[, xs])),
            single = list(fit = fm(fit), estimates = pe_table(fit), mi = mi_table(fit)),
            school = list(fit = fm(fit2), estimates = pe_table(fit2), mi = mi_table(fit2)))
write_ref(out, "sem_fiml_mi.json")
