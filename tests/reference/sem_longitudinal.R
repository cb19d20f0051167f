# Reference: longitudinal (repeated-measures) measurement invariance written by hand in lavaan
# syntax with equality labels, on PoliticalDemocracy (dem60 = y1-y4, dem65 = y5-y8; residuals of
# matched indicators correlated; every step with a mean structure): configural, metric (equal
# loadings), scalar (+ equal intercepts, dem65's mean free), strict (+ equal residual variances),
# partial scalar (y2/y6 intercepts free) and partial strict; ML, MLR (lavTestLRT: Satorra-Bentler
# 2001) and FIML (ML and MLR) on a copy with missing values (sem_longitudinal_fiml.csv, written here).
# Ordinal: HS x1-x3 and x4-x6 cut into quartiles (sem_longitudinal_ord.csv, written here) as
# "wave 1" and "wave 2", WLSMV delta (configural, metric, scalar: equal thresholds, wave-2 scaling
# factors and latent mean free) and theta (+ strict: wave-2 residual variances 1).
# Partial ordinal metric/scalar (a3/b3 loadings free).  Also: std.lv identification (PoliticalDemocracy) and three "waves" (HS visual/textual/speed).
# Run: cd tests/reference && Rscript sem_longitudinal.R   (writes sem_longitudinal.json)
source("sem_helpers.R")
pd <- read.csv("sem_poldem.csv")
load_part <- function(step) {
  if (step == "configural") return("dem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8\n")
  "dem60 =~ y1 + L2*y2 + L3*y3 + L4*y4\ndem65 =~ y5 + L2*y6 + L3*y7 + L4*y8\n"
}
rc <- "y1 ~~ y5\ny2 ~~ y6\ny3 ~~ y7\ny4 ~~ y8\n"
int_part <- function(step, free_y2 = FALSE) {
  if (step %in% c("configural", "metric"))
    return("y1 ~ 1\ny2 ~ 1\ny3 ~ 1\ny4 ~ 1\ny5 ~ 1\ny6 ~ 1\ny7 ~ 1\ny8 ~ 1\ndem60 ~ 0*1\ndem65 ~ 0*1\n")
  paste0("y1 ~ I1*1\ny5 ~ I1*1\n",
         if (free_y2) "y2 ~ 1\ny6 ~ 1\n" else "y2 ~ I2*1\ny6 ~ I2*1\n",
         "y3 ~ I3*1\ny7 ~ I3*1\ny4 ~ I4*1\ny8 ~ I4*1\ndem60 ~ 0*1\ndem65 ~ NA*1\n")
}
res_part <- function(free_y2 = FALSE)
  paste0("y1 ~~ R1*y1\ny5 ~~ R1*y5\n",
         if (free_y2) "y2 ~~ y2\ny6 ~~ y6\n" else "y2 ~~ R2*y2\ny6 ~~ R2*y6\n",
         "y3 ~~ R3*y3\ny7 ~~ R3*y7\ny4 ~~ R4*y4\ny8 ~~ R4*y8\n")
syn <- list(
  configural = paste0(load_part("configural"), rc, int_part("configural")),
  metric = paste0(load_part("metric"), rc, int_part("metric")),
  scalar = paste0(load_part("metric"), rc, int_part("scalar")),
  strict = paste0(load_part("metric"), rc, int_part("scalar"), res_part()),
  partial_scalar = paste0(load_part("metric"), rc, int_part("scalar", TRUE)),
  partial_strict = paste0(load_part("metric"), rc, int_part("scalar", TRUE), res_part(TRUE))
)
ex <- c("chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor", "cfi.scaled", "tli.scaled",
        "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust")
block <- function(f, extra = character()) list(fit = fm(f, extra), estimates = pe_table(f))
lrt_list <- function(fits) {
  out <- list()
  for (k in 2:length(fits)) {
    t <- lavTestLRT(fits[[k]], fits[[k - 1]])
    out[[names(fits)[k]]] <- list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
                                  pvalue = t[["Pr(>Chisq)"]][2])
  }
  out
}
out <- list(info = info(), syntax = syn)
seq4 <- c("configural", "metric", "scalar", "strict")
for (est in c("ML", "MLR")) {
  fits <- lapply(syn, function(s) cfa(s, data = pd, estimator = est))
  out[[est]] <- lapply(fits, block, extra = if (est == "MLR") ex else character())
  out[[paste0(est, "_lrt")]] <- lrt_list(fits[seq4])
  out[[paste0(est, "_lrt_partial")]] <- lrt_list(fits[c("metric", "partial_scalar", "partial_strict")])
}
# FIML: missing values at fixed positions
pm <- pd
pm$y2[seq(1, 75, by = 6)] <- NA
pm$y7[seq(3, 75, by = 7)] <- NA
pm$y5[c(10, 20, 30)] <- NA
write.csv(pm, "sem_longitudinal_fiml.csv", row.names = FALSE, na = "")
fits <- lapply(syn[seq4], function(s) cfa(s, data = pm, missing = "ml"))
out$FIML <- lapply(fits, block)
out$FIML_lrt <- lrt_list(fits)
fits <- lapply(syn[seq4], function(s) cfa(s, data = pm, missing = "ml", estimator = "MLR"))
out$FIML_MLR <- lapply(fits, block, extra = ex)
out$FIML_MLR_lrt <- lrt_list(fits)

# identification by the latent variances (std.lv = TRUE): dem60's variance 1, dem65's free from
# the metric step on, loadings all free (and equal from metric on)
sl <- list(
  configural = paste0("dem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8\n", rc, int_part("configural")),
  metric = paste0("dem60 =~ L1*y1 + L2*y2 + L3*y3 + L4*y4\ndem65 =~ L1*y5 + L2*y6 + L3*y7 + L4*y8\n",
                  "dem65 ~~ NA*dem65\n", rc, int_part("metric")))
sl$scalar <- paste0(sub("\ny1 ~ 1.*$", "\n", sl$metric), int_part("scalar"))
out$std_lv <- lapply(sl, function(s) block(cfa(s, data = pd, std.lv = TRUE)))
# three "waves": HS visual (x1-x3), textual (x4-x6), speed (x7-x9), residuals of matched items
# correlated for every pair of waves; ML
hs3 <- read.csv("holzinger_swineford.csv")
w3 <- list(c("x1", "x2", "x3"), c("x4", "x5", "x6"), c("x7", "x8", "x9")); fs <- c("V", "T", "S")
syn3 <- function(step) {
  s <- ""
  for (w in 1:3) s <- paste0(s, fs[w], " =~ ", w3[[w]][1], " + ",
                             if (step != "configural") "L2*" else "", w3[[w]][2], " + ",
                             if (step != "configural") "L3*" else "", w3[[w]][3], "\n")
  for (j in 1:3) for (a in 1:2) for (b in (a + 1):3) if (b <= 3) s <- paste0(s, w3[[a]][j], " ~~ ", w3[[b]][j], "\n")
  for (j in 1:3) for (w in 1:3) s <- paste0(s, w3[[w]][j], " ~ ", if (step == "scalar") paste0("I", j, "*") else "", "1\n")
  paste0(s, "V ~ 0*1\n", if (step == "scalar") "T ~ NA*1\nS ~ NA*1\n" else "T ~ 0*1\nS ~ 0*1\n")
}
f3 <- lapply(c(configural = "configural", metric = "metric", scalar = "scalar"), function(s) cfa(syn3(s), data = hs3))
out$three_waves <- list(syntax = lapply(names(f3), syn3), fits = lapply(f3, block), lrt = lrt_list(f3))

# ordinal: HS items in quartiles as two "waves"
hs <- read.csv("holzinger_swineford.csv")
q4 <- function(x) as.integer(cut(x, quantile(x, 0:4 / 4), include.lowest = TRUE, labels = FALSE))
od <- data.frame(a1 = q4(hs$x1), a2 = q4(hs$x2), a3 = q4(hs$x3), b1 = q4(hs$x4), b2 = q4(hs$x5), b3 = q4(hs$x6))
write.csv(od, "sem_longitudinal_ord.csv", row.names = FALSE)
items <- names(od)
th <- function(v, lab) if (is.null(lab)) paste0(v, " | t1 + t2 + t3\n") else
  paste0(v, " | ", lab, "_1*t1 + ", lab, "_2*t2 + ", lab, "_3*t3\n")
osyn <- function(step, param) {
  ld <- if (step == "configural") "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\n" else
    "A =~ a1 + L2*a2 + L3*a3\nB =~ b1 + L2*b2 + L3*b3\n"
  s <- paste0(ld, "a1 ~~ b1\na2 ~~ b2\na3 ~~ b3\n")
  eq <- step %in% c("scalar", "strict")
  for (j in 1:3) s <- paste0(s, th(paste0("a", j), if (eq) paste0("T", j) else NULL),
                             th(paste0("b", j), if (eq) paste0("T", j) else NULL))
  if (eq) {
    s <- paste0(s, "B ~ NA*1\n")
    if (param == "delta") s <- paste0(s, "b1 ~*~ NA*b1\nb2 ~*~ NA*b2\nb3 ~*~ NA*b3\n")
    if (param == "theta" && step == "scalar") s <- paste0(s, "b1 ~~ NA*b1\nb2 ~~ NA*b2\nb3 ~~ NA*b3\n")
  }
  s
}
exo <- c("chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor", "chisq.shift.parameters",
         "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust")
for (param in c("delta", "theta")) {
  steps <- if (param == "delta") seq4[1:3] else seq4
  fits <- list()
  for (s in steps) fits[[s]] <- cfa(osyn(s, param), data = od, ordered = items, estimator = "WLSMV",
                                    parameterization = param)
  out[[paste0("WLSMV_", param)]] <- list(syntax = lapply(steps, osyn, param = param),
                                         fits = lapply(fits, block, extra = exo), lrt = lrt_list(fits))
}
# partial invariance, ordinal (delta): the loadings of a3 and b3 free (partial metric), then
# equal thresholds on top of that (partial scalar)
pm_syn <- sub("L3\\*a3", "a3", sub("L3\\*b3", "b3", osyn("metric", "delta")))
ps_syn <- sub("L3\\*a3", "a3", sub("L3\\*b3", "b3", osyn("scalar", "delta")))
fp <- list(metric = cfa(osyn("metric", "delta"), data = od, ordered = items, estimator = "WLSMV"),
           partial_metric = cfa(pm_syn, data = od, ordered = items, estimator = "WLSMV"),
           partial_scalar = cfa(ps_syn, data = od, ordered = items, estimator = "WLSMV"))
fc0 <- cfa(osyn("configural", "delta"), data = od, ordered = items, estimator = "WLSMV")
out$WLSMV_partial <- list(syntax = list(partial_metric = pm_syn, partial_scalar = ps_syn),
                          fits = lapply(fp[-1], block, extra = exo),
                          lrt = list(partial_metric = lrt_list(list(configural = fc0, partial_metric = fp$partial_metric))$partial_metric,
                                     partial_scalar = lrt_list(fp[c("partial_metric", "partial_scalar")])$partial_scalar))
write_ref(out, "sem_longitudinal.json")
