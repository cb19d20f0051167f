# Reference: score tests of equality constraints, lavaan's lavTestScore(cumulative = TRUE)
# (expected information), for multigroup CFAs of Holzinger-Swineford by school:
#   scalar          group.equal = c("loadings", "intercepts"), complete data (ML)
#   scalar_partial  the same with group.partial = c("x3 ~ 1", "x7 ~ 1")
#   scalar_fiml     scalar model, FIML (missing = "ml") on sem_fiml_mi.csv (10 % MCAR)
# Each constraint ".pA. == .pB." is written with the parameter it constrains (lhs, op, rhs,
# group of .pB.) so that the Python test can match it whatever the order.
# Run: cd tests/reference && Rscript sem_score_tests.R   (writes sem_score_tests.json)
source("sem_helpers.R")
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
hs <- read.csv("holzinger_swineford.csv")
hs$school <- factor(hs$school, levels = c("Pasteur", "Grant-White"))
mi <- read.csv("sem_fiml_mi.csv")
mi$school <- factor(mi$school, levels = c("Pasteur", "Grant-White"))
label_of <- function(fit) {
  pt <- parTable(fit)
  function(lab) {
    i <- which(pt$plabel == lab)
    list(lhs = pt$lhs[i], op = pt$op[i], rhs = pt$rhs[i], group = pt$group[i])
  }
}
tables <- function(fit) {
  st <- lavTestScore(fit, cumulative = TRUE)
  lab <- label_of(fit)
  fix <- function(tab) {
    rows <- lapply(seq_len(nrow(tab)), function(i) {
      a <- lab(tab$lhs[i]); b <- lab(tab$rhs[i])
      list(lhs = b$lhs, op = b$op, rhs = if (b$op == "~1") "" else b$rhs, group = b$group,
           group_ref = a$group, X2 = tab$X2[i], df = tab$df[i], p_value = tab$p.value[i])
    })
    rows
  }
  list(fit = fm(fit), n = lavInspect(fit, "ntotal"),
       total = list(X2 = st$test$X2, df = st$test$df, p_value = st$test$p.value),
       univariate = fix(st$uni), cumulative = fix(st$cumulative))
}
eq <- c("loadings", "intercepts")
f1 <- cfa(model, data = hs, group = "school", group.equal = eq)
f2 <- cfa(model, data = hs, group = "school", group.equal = eq, group.partial = c("x3 ~ 1", "x7 ~ 1"))
f3 <- cfa(model, data = mi, group = "school", group.equal = eq, missing = "ml")
out <- list(info = info(), model = model, scalar = tables(f1), scalar_partial = tables(f2),
            scalar_fiml = tables(f3))
write_ref(out, "sem_score_tests.json")
