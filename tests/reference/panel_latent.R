# Reference: the latent panel models of rsnprop.panel.latent / rsnprop.panel.clpm in lavaan, on the
# item-level two-wave panel tests/data/panel/items_w1.csv, items_w2.csv (300 firms at wave 1, 234
# at wave 2; 4 relational + 4 informational items; written by tests/data/panel/make_panel_items.py).
# The wide data: one row per wave-1 firm, <column>_t1 and <column>_t2 (missing for the firms that
# left). Every model with missing = "ml" (FIML, mean structure):
#  * longitudinal invariance of each construct (configural, metric, scalar, strict; matched
#    residuals correlated; labels as rsnprop.sem.longitudinal.repeated_syntax), lavTestLRT, and the
#    wave-2 latent mean (wave 1: 0) of the scalar and strict steps;
#  * C1: latent change, both constructs at both waves (scalar), the factors regressed on bg_t1
#    (fixed.x, lavaan's default), dlean := (g_rel2 - g_rel1) - (g_inf2 - g_inf1);
#  * C2: the same with moved_phase = (phase_t2 > phase_t1), on the firms where it is known;
#  * the cross-lagged panel model, observed (lean = score_relational - score_informational) and
#    latent, fixed.x = FALSE (the wave-1 variables are modelled, so FIML keeps every firm).
# The syntax is written here independently of rsnprop (only the labels agree).
# Run: cd tests/reference && Rscript panel_latent.R   (writes panel_latent.json)
source("sem_helpers.R")
w1 <- read.csv("../data/panel/items_w1.csv")
w2 <- read.csv("../data/panel/items_w2.csv")
names(w1)[-1] <- paste0(names(w1)[-1], "_t1")
names(w2)[-1] <- paste0(names(w2)[-1], "_t2")
wide <- merge(w1, w2, by = "firm", all.x = TRUE, sort = TRUE)
wide$lean_t1 <- wide$score_relational_t1 - wide$score_informational_t1
wide$lean_t2 <- wide$score_relational_t2 - wide$score_informational_t2
wide$moved_phase <- ifelse(is.na(wide$phase_t2), NA, as.numeric(wide$phase_t2 > wide$phase_t1))

construct <- function(name, items, step) {
  f1 <- paste0(name, "_t1"); f2 <- paste0(name, "_t2")
  a <- paste0(items, "_t1"); b <- paste0(items, "_t2")
  k <- length(items)
  lab <- function(p, j) if (j == 0) "" else paste0(p, j, "_", f1, "*")
  lv <- step != "configural"; iv <- step %in% c("scalar", "strict")
  load <- function(f, v) paste0(f, " =~ 1*", v[1], " + ",
                                paste0(sapply(2:k, function(j) paste0(if (lv) lab("L", j) else "", v[j])),
                                       collapse = " + "))
  lines <- c(load(f1, a), load(f2, b), paste(a, "~~", b))
  for (j in 1:k) lines <- c(lines, paste0(c(a[j], b[j]), " ~ ", if (iv) lab("I", j) else "", "1"))
  lines <- c(lines, paste0(f1, " ~ 0*1"), paste0(f2, if (iv) " ~ NA*1" else " ~ 0*1"))
  if (step == "strict")
    for (j in 1:k) lines <- c(lines, paste0(c(a[j], b[j]), " ~~ ", lab("R", j), c(a[j], b[j])))
  paste(lines, collapse = "\n")
}
rel <- paste0("rel_", 1:4); inf <- paste0("inf_", 1:4)
block <- function(f) list(fit = fm(f), estimates = pe_table(f), n = lavInspect(f, "nobs"),
                          n_total = lavInspect(f, "norig"))
out <- list(info = info(), syntax = list())

steps <- c("configural", "metric", "scalar", "strict")
for (con in list(list("relational", rel), list("informational", inf))) {
  fits <- lapply(steps, function(s) cfa(construct(con[[1]], con[[2]], s), data = wide, missing = "ml"))
  names(fits) <- steps
  lrt <- list()
  for (k in 2:4) {
    t <- lavTestLRT(fits[[k]], fits[[k - 1]])
    lrt[[steps[k]]] <- list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
                            pvalue = t[["Pr(>Chisq)"]][2])
  }
  mean_t2 <- function(f) {
    pe <- parameterEstimates(f)
    pe[pe$lhs == paste0(con[[1]], "_t2") & pe$op == "~1", c("est", "se", "z", "pvalue", "ci.lower", "ci.upper")]
  }
  out[[paste0("invariance_", con[[1]])]] <- list(steps = lapply(fits, function(f) list(fit = fm(f))),
                                                 lrt = lrt, n = lavInspect(fits[[1]], "nobs"),
                                                 latent_mean_t2 = lapply(fits[c("scalar", "strict")], mean_t2))
}

both <- paste(construct("relational", rel, "scalar"), construct("informational", inf, "scalar"), sep = "\n")
change <- function(g) paste(both,
  paste0("relational_t1 ~ g_rel1*", g), paste0("relational_t2 ~ g_rel2*", g),
  paste0("informational_t1 ~ g_inf1*", g), paste0("informational_t2 ~ g_inf2*", g),
  "relational_t1 ~~ informational_t1 + relational_t2 + informational_t2",
  "informational_t1 ~~ relational_t2 + informational_t2", "relational_t2 ~~ informational_t2",
  "dlean := (g_rel2 - g_rel1) - (g_inf2 - g_inf1)", sep = "\n")
out$syntax$C1 <- change("bg_t1")
out$C1 <- block(sem(out$syntax$C1, data = wide, missing = "ml"))
out$syntax$C2 <- change("moved_phase")
out$C2 <- block(sem(out$syntax$C2, data = wide[!is.na(wide$moved_phase), ], missing = "ml"))
out$C2$n_total <- nrow(wide)

out$syntax$clpm_observed <- paste(
  "approach_t2 ~ b_xx*approach_t1 + rev*lean_t1", "lean_t2 ~ b_dd*lean_t1 + fwd*approach_t1",
  "approach_t1 ~~ lean_t1", "approach_t2 ~~ lean_t2", sep = "\n")
out$clpm_observed <- block(sem(out$syntax$clpm_observed, data = wide, missing = "ml", fixed.x = FALSE))
out$syntax$clpm_latent <- paste(both,
  "relational_t2 ~ b_rr*relational_t1 + b_ri*informational_t1 + fwd_rel*approach_t1",
  "informational_t2 ~ b_ii*informational_t1 + b_ir*relational_t1 + fwd_inf*approach_t1",
  "approach_t2 ~ b_xx*approach_t1 + rev_rel*relational_t1 + rev_inf*informational_t1",
  "approach_t1 ~~ relational_t1 + informational_t1", "relational_t1 ~~ informational_t1",
  "relational_t2 ~~ informational_t2 + approach_t2", "informational_t2 ~~ approach_t2",
  "forward := fwd_rel - fwd_inf", "reverse := (rev_rel - rev_inf)/2", sep = "\n")
out$clpm_latent <- block(sem(out$syntax$clpm_latent, data = wide, missing = "ml", fixed.x = FALSE))
write_ref(out, "panel_latent.json")
