# Reference EVPPI by mgcv, for the cross-check in tests/test_voi.c.
#
#   Rscript mgcv_evppi.R SAMPLE.csv WTP COL[,COL...]
#
# SAMPLE.csv has the parameter columns and, for each strategy, columns
# "cost:<strategy>" and "qaly:<strategy>"; the first strategy in column order
# is the comparator.  For each other strategy the incremental net benefit at
# WTP is regressed on the named columns with mgcv's defaults: gam(y ~ s(x1))
# (thin plate regression spline, k = 10) for one column, gam(y ~ te(x1, ...))
# (tensor product of cubic regression splines, 5 per margin, one smoothing
# parameter per margin) for 2 to 4 columns, and an additive
# gam(y ~ s(x1) + ... + s(xp)) beyond 4.  The smoothing parameters are chosen
# by GCV (method = "GCV.Cp", mgcv's default, the criterion painsim uses).
# EVPPI (Strong, Oakley & Brennan 2014) = mean(pmax(0, g)) - max(0, colMeans(g))
# is printed as one line "evppi <value>".
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript mgcv_evppi.R SAMPLE.csv WTP COL[,COL...]")
suppressPackageStartupMessages(library(mgcv))

d <- read.csv(args[1], check.names = FALSE)
wtp <- as.numeric(args[2])
cols <- strsplit(args[3], ",", fixed = TRUE)[[1]]
missing <- setdiff(cols, names(d))
if (length(missing) > 0) stop("no column ", paste(missing, collapse = ", "), " in ", args[1])

strategies <- sub("^cost:", "", grep("^cost:", names(d), value = TRUE))
if (length(strategies) < 2) stop("need at least two strategies (cost:<name> columns)")
nb <- sapply(strategies, function(s) wtp * d[[paste0("qaly:", s)]] - d[[paste0("cost:", s)]])
inb <- nb[, -1, drop = FALSE] - nb[, 1]

x <- d[cols]
names(x) <- paste0("x", seq_along(cols))
p <- length(cols)
form <- if (p == 1) {
  "y ~ s(x1)"
} else if (p <= 4) {
  paste0("y ~ te(", paste(names(x), collapse = ", "), ")")
} else {
  paste0("y ~ ", paste0("s(", names(x), ")", collapse = " + "))
}
g <- matrix(0, nrow(d), ncol(inb))
for (j in seq_len(ncol(inb))) {
  dd <- x
  dd$y <- inb[, j]
  g[, j] <- fitted(gam(as.formula(form), data = dd, method = "GCV.Cp"))
}
evppi <- mean(pmax(0, apply(g, 1, max))) - max(0, colMeans(g))
cat(sprintf("evppi %.12g\n", evppi))
