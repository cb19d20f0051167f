"""High-precision JZS Bayes factors for large |t|, where BayesFactor's own numbers are not exact.

BayesFactor::ttestBF switches to a normal ("Savage-Dickey t") approximation for |t| > 5
(one-sided) and |t| > 15 (two-sided), and its quadrature of R's noncentral ``dt`` loses accuracy
there too, so for those t the reference is this script: the Bayes factor *as BayesFactor defines
it* (the integral over delta of the noncentral t likelihood times the Cauchy(0, r) prior, restricted
to the interval and divided by the prior mass of the interval, over the central t density),
evaluated with mpmath at 30 significant digits (more where the terms cancel).  The noncentral t
density is computed in closed form with Kummer's function (1F1), which is independent of the
g-integral (Rouder et al. 2009, eq. 1) that rsnprop uses.  mpmath is needed only to run this
script (it is not a dependency of rsnprop or of its tests).

Run: python tests/reference/propositions_bf_mpmath.py > tests/reference/propositions_bf_mpmath.json
(about 20 minutes; progress on stderr).
"""

import json
import math
import sys

import mpmath as mp

mp.mp.dps = 30
TS = [-40, -25, -10, -5, 5, 10, 25, 40]
NS = [5, 20, 100, 400]
RS = [math.sqrt(2) / 2, 1.0]


def nct_pdf(t, nu, lam):
    """Noncentral t density, closed form with Kummer's function 1F1 (e.g. Wikipedia,
    "Noncentral t-distribution"); the two terms cancel when t and lam have opposite signs, so
    the working precision grows with the cancellation."""
    nu, t, lam = mp.mpf(nu), mp.mpf(t), mp.mpf(lam)  # exact: integers and binary floats
    z = lam * lam * t * t / (2 * (nu + t * t))
    if lam * t < 0 and lam * lam / 2 > 100:
        # with opposite signs f(t; nu, lam) <= f(t; nu, 0) exp(-lam^2 / 2) (the normal term of
        # the mixture only shrinks): beyond exp(-100) of the integrand near delta = 0
        return mp.mpf(0)
    # the terms grow like exp(z) z^((nu + 1) / 2): that many digits cancel
    lost = (z + (nu + 1) / 2 * mp.log(1 + z)) / mp.log(10)
    digits = 40 + int(1.2 * lost) if lam * t < 0 else 40
    with mp.workdps(digits):
        s = nu + t * t  # s and z again at the working precision: they must agree to the end
        return +_nct_terms(nu, t, lam, s, lam * lam * t * t / (2 * s))


def _nct_terms(nu, t, lam, s, z):
    head = mp.exp(nu / 2 * mp.log(nu) + mp.loggamma(nu + 1) - lam * lam / 2 - nu * mp.log(2)
                  - nu / 2 * mp.log(s) - mp.loggamma(nu / 2))
    a = mp.sqrt(2) * lam * t / s * mp.hyp1f1(nu / 2 + 1, mp.mpf(3) / 2, z) / mp.gamma((nu + 1) / 2)
    b = mp.hyp1f1((nu + 1) / 2, mp.mpf(1) / 2, z) / (mp.sqrt(s) * mp.gamma(nu / 2 + 1))
    return head * (a + b)


def log_bf(t, n, r, lo, hi):
    nu = n - 1
    t, r = mp.mpf(t), mp.mpf(r)
    prior = lambda d: 1 / (mp.pi * r * (1 + (d / r) ** 2))  # noqa: E731
    centre, width = t / mp.sqrt(n), 1 / mp.sqrt(n)
    pts = [centre + k * width for k in (-8, -2, 0, 2, 8)] + [0]
    # the likelihood can be a narrow peak at 0 (t far opposite the interval): a geometric
    # ladder of breakpoints on both sides of 0, on the scale of delta's standard error and r
    pts += [sign * k * scale for sign in (-1, 1) for scale in (width, r)
            for k in (0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)]
    pts = sorted({lo, hi, *(p for p in pts if lo < p < hi)})
    num = mp.quad(lambda d: nct_pdf(t, nu, d * mp.sqrt(n)) * prior(d), pts)
    mass = mp.quad(prior, [lo, 0, hi] if lo < 0 < hi else [lo, hi])
    null = mp.exp(mp.loggamma((nu + 1) / mp.mpf(2)) - mp.loggamma(nu / mp.mpf(2))) / mp.sqrt(nu * mp.pi) \
        * (1 + t * t / nu) ** (-(nu + 1) / mp.mpf(2))
    return float(mp.log(num / mass / null))


def main():
    rows = []
    for n in NS:
        for t in TS:
            for r in RS:
                print(t, n, r, file=sys.stderr, flush=True)
                rows.append({"t": t, "n": n, "r": r,
                             "log_bf_two_sided": log_bf(t, n, r, -mp.inf, mp.inf),
                             "log_bf_greater": log_bf(t, n, r, 0, mp.inf),
                             "log_bf_less": log_bf(t, n, r, -mp.inf, 0)})
    print(json.dumps({"method": f"mpmath {mp.__version__}, {mp.mp.dps} digits", "rows": rows},
                     indent=1))


if __name__ == "__main__":
    main()
