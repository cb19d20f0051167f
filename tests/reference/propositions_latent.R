# Reference for the latent (multigroup, scalar-invariant) contrast of rsnprop.propositions.latent.
# Run: cd tests/reference && Rscript propositions_latent.R   (writes propositions_latent.json)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("propositions_latent.csv")   # traditional (bg_ms20 = 0) rows first = reference group
model <- "relational =~ rel_1 + rel_2 + rel_3 + rel_4\ninformational =~ inf_1 + inf_2 + inf_3 + inf_4"
fit <- cfa(model, data = d, group = "bg_ms20", group.equal = c("loadings", "intercepts"))
pe <- parameterEstimates(fit)
g2 <- pe[pe$op == "~1" & pe$group == 2 & pe$lhs %in% c("relational", "informational"), ]
# the contrast and its SE from the covariance matrix of the free parameters
V <- vcov(fit)
a <- setNames(numeric(ncol(V)), colnames(V))
a["relational~1.g2"] <- 1; a["informational~1.g2"] <- -1
ct <- list(est = sum(a * coef(fit)[names(a)]), se = sqrt(drop(t(a) %*% V %*% a)))
out <- list(lavaan = as.character(packageVersion("lavaan")), group_label = lavInspect(fit, "group.label"),
            kappa_rel = g2$est[g2$lhs == "relational"], kappa_inf = g2$est[g2$lhs == "informational"],
            contrast = ct$est, contrast_se = ct$se, chisq = unname(fitMeasures(fit, "chisq")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "propositions_latent.json")
