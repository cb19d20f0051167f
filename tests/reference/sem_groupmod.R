# Reference: per-group modifier vectors c(...) in multigroup models (HS by school): parTable()
# (free/fixed/labels/equalities), estimates and fit of lavaan for each model, and lavaan's
# message when a vector's length differs from the number of groups.
# Run: cd tests/reference && Rscript sem_groupmod.R   (writes sem_groupmod.json)
source("sem_helpers.R")
hs <- read.csv("holzinger_swineford.csv")
hs$school <- factor(hs$school, levels = c("Pasteur", "Grant-White"))
B <- "textual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
models <- list(
  # equal loadings through shared labels (= group.equal = "loadings")
  shared = list(model = paste0("visual =~ x1 + c(a, a)*x2 + c(b, b)*x3\n",
                               "textual =~ x4 + c(c, c)*x5 + c(d, d)*x6\n",
                               "speed =~ x7 + c(e, e)*x8 + c(f, f)*x9")),
  # different labels per group and defined differences
  diff = list(model = paste0("visual =~ x1 + c(a1, a2)*x2 + c(b1, b2)*x3\n", B,
                             "\nd_x2 := a1 - a2\nd_x3 := b1 - b2")),
  # regression with per-group labels
  regression = list(model = paste0("visual =~ x1 + x2 + x3\n", B,
                                   "\nspeed ~ c(g1, g2)*visual\nd_g := g1 - g2")),
  # latent means: free in group 2 (visual, textual), fixed to 0 in both groups (speed)
  lvmeans = list(model = paste0("visual =~ x1 + x2 + x3\n", B,
                                "\nvisual ~ c(0, NA)*1\ntextual ~ c(0, NA)*1\nspeed ~ c(0, 0)*1"),
                 group_equal = c("loadings", "intercepts")),
  # scalar invariance written by hand: labels for loadings and intercepts, c(0, NA) latent means
  scalar_by_hand = list(model = paste0(
    "visual =~ x1 + c(l2, l2)*x2 + c(l3, l3)*x3\n",
    "textual =~ x4 + c(l5, l5)*x5 + c(l6, l6)*x6\n",
    "speed =~ x7 + c(l8, l8)*x8 + c(l9, l9)*x9\n",
    "x1 ~ c(i1, i1)*1\nx2 ~ c(i2, i2)*1\nx3 ~ c(i3, i3)*1\nx4 ~ c(i4, i4)*1\nx5 ~ c(i5, i5)*1\n",
    "x6 ~ c(i6, i6)*1\nx7 ~ c(i7, i7)*1\nx8 ~ c(i8, i8)*1\nx9 ~ c(i9, i9)*1\n",
    "visual ~ c(0, NA)*1\ntextual ~ c(0, NA)*1\nspeed ~ c(0, NA)*1")),
  # fixed values: the same in both groups, fixed in one group only, a residual variance
  fixed = list(model = paste0("visual =~ x1 + c(0.5, 0.5)*x2 + c(NA, 0.6)*x3\n", B,
                              "\nx4 ~~ c(0.4, NA)*x4")),
  # a value fixed in one group of an equality class (group.equal): fixed in every group
  fixed_equal = list(model = paste0("visual =~ x1 + c(NA, 0.6)*x2 + x3\n", B),
                     group_equal = "loadings"),
  # start values per group; c(NA, NA) frees a first loading; label(c()) and quoted labels
  start = list(model = paste0("visual =~ c(NA, NA)*x1 + start(c(0.5, 0.6))*x2 + x3\n",
                              "visual ~~ c(1, 1)*visual\n",
                              "textual =~ x4 + start(c(1.1, NA))*x5 + label(c(q1, q2))*x6\n",
                              "speed =~ x7 + c('r1', \"r2\")*x8 + x9"))
)
out <- list(info = info(), models = list())
for (n in names(models)) {
  m <- models[[n]]
  ge <- if (is.null(m$group_equal)) character(0) else m$group_equal
  f <- if (length(ge)) cfa(m$model, data = hs, group = "school", group.equal = ge) else
    cfa(m$model, data = hs, group = "school")
  pt <- parTable(f)
  pt <- pt[, c("lhs", "op", "rhs", "group", "free", "ustart", "label", "plabel", "user")]
  out$models[[n]] <- list(model = m$model, group_equal = ge, partable = pt, fit = fm(f),
                          estimates = pe_table(f))
}
bad <- paste0("visual =~ x1 + c(a, b, c)*x2 + x3\n", B)
out$wrong_length <- list(model = bad, message = tryCatch({cfa(bad, data = hs, group = "school"); ""},
                                                         error = function(e) conditionMessage(e)))
write_ref(out, "sem_groupmod.json")
