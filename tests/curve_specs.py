"""Random multiverse rows for the specification-curve figure tests (test_report_figures_gc,
test_report_figures_lines): estimates, intervals (some unknown), choices and one primary row."""

from __future__ import annotations

import numpy as np


def curve_specs(n, *, seed, primary=True, missing_ci=False, no_choices=False):
    """``n`` rows as ``figures.specification_curve`` reads them; with ``missing_ci`` every third
    row has no interval, with ``no_choices`` every fourth row has no choices."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        est = float(rng.standard_normal())
        known = not (missing_ci and i % 3 == 0)
        choices = {} if no_choices and i % 4 == 0 else {"missing": str(i % 3), "controls": str(i % 2)}
        out.append({"estimate": est,
                    "ci_lower": est - abs(float(rng.standard_normal())) if known else None,
                    "ci_upper": est + abs(float(rng.standard_normal())) if known else None,
                    "choices": choices, "primary": primary and i == n // 2})
    return out
