# Reference values for the HS three-factor CFA (single group, std.lv, multigroup invariance).
# Run: cd tests/reference && Rscript sem_hs.R   (writes sem_hs.json)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
hs$school <- factor(hs$school, levels = c("Pasteur", "Grant-White"))
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
out <- list(info = info(), model = model)
fit <- cfa(model, data = hs)
mi <- modindices(fit, sort. = TRUE)
out$cfa <- list(fit = fm(fit), estimates = pe_table(fit), r2 = as.list(inspect(fit, "r2")),
                mi = head(mi[, c("lhs","op","rhs","mi","epc","sepc.all")], 10),
                resid_cor = lavResiduals(fit)$cov)
fit2 <- cfa(model, data = hs, std.lv = TRUE)
out$cfa_stdlv <- list(fit = fm(fit2), estimates = pe_table(fit2))
fit3 <- cfa(model, data = hs, meanstructure = TRUE)
out$cfa_means <- list(fit = fm(fit3), estimates = pe_table(fit3))
steps <- list(configural = character(0), metric = c("loadings"), scalar = c("loadings","intercepts"),
              strict = c("loadings","intercepts","residuals"),
              means = c("loadings","intercepts","residuals","means"))
out$invariance <- list()
for (s in names(steps)) {
  f <- if (length(steps[[s]])) cfa(model, data = hs, group = "school", group.equal = steps[[s]]) else cfa(model, data = hs, group = "school")
  out$invariance[[s]] <- list(group_equal = steps[[s]], fit = fm(f), estimates = pe_table(f))
  if (s == "metric") {
    mi <- modindices(f, sort. = TRUE)
    out$invariance[[s]]$mi <- head(mi[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")], 10)
  }
}
f <- cfa(model, data = hs, group = "school", group.equal = c("loadings","intercepts"), group.partial = c("x3~1", "x7~1"))
out$partial <- list(group_equal = c("loadings","intercepts"), group_partial = c("x3~1", "x7~1"), fit = fm(f), estimates = pe_table(f))
f <- cfa(model, data = hs, group = "school", group.equal = c("loadings", "intercepts"), std.lv = TRUE)
out$scalar_stdlv <- list(group_equal = c("loadings", "intercepts"), fit = fm(f), estimates = pe_table(f))
# three groups (age bands) with scalar constraints
hs$ageband <- factor(ifelse(hs$ageyr <= 12, "young", ifelse(hs$ageyr == 13, "mid", "old")), levels = c("young", "mid", "old"))
f <- cfa(model, data = hs, group = "ageband", group.equal = c("loadings", "intercepts"))
out$three_groups <- list(group = "ageband", group_equal = c("loadings", "intercepts"), fit = fm(f),
                         estimates = pe_table(f))
write_ref(out, "sem_hs.json")
