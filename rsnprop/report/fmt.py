"""Number formatting in APA style (7th edition) for the report's tables and text.

Pure functions, no heavy imports.  ``None``, NaN and non-numbers become an en dash.

Examples
--------
>>> fmt_num(0.4567), fmt_bounded(0.4567), fmt_p(0.0004), fmt_p(0.0321)
('0.46', '.46', '< .001', '.032')
>>> fmt_ci(0.12, 0.5)
'[0.12, 0.50]'
"""

from __future__ import annotations

import math

__all__ = ["DASH", "to_float", "fmt_num", "fmt_bounded", "fmt_p", "fmt_ci", "fmt_int", "fmt_pct",
           "fmt_value"]

DASH = "\u2013"
MINUS = "\u2212"


def to_float(x) -> float | None:
    """``x`` as a finite float, or ``None`` (for None, NaN, infinities, text, booleans)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _signed(text: str) -> str:
    return text.replace("-", MINUS)


def fmt_num(x, digits: int = 2) -> str:
    """A number with ``digits`` decimals and a true minus sign; ``-0.00`` prints as ``0.00``."""
    v = to_float(x)
    if v is None:
        return DASH
    text = f"{v:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return _signed(text)


def fmt_bounded(x, digits: int = 2) -> str:
    """A statistic that cannot exceed 1 in absolute value (r, alpha, loadings): no leading zero."""
    text = fmt_num(x, digits)
    if text.startswith("0."):
        return text[1:]
    if text.startswith(MINUS + "0."):
        return MINUS + text[2:]
    return text


def fmt_p(p) -> str:
    """APA p value: three decimals, no leading zero, ``< .001`` below one in a thousand."""
    v = to_float(p)
    if v is None:
        return DASH
    if v < 0.001:
        return "< .001"
    if v > 0.999:
        return "> .999"
    return fmt_bounded(v, 3)


def fmt_ci(lo, hi, digits: int = 2) -> str:
    """``[lo, hi]`` with ``digits`` decimals (an en dash when either bound is missing)."""
    if to_float(lo) is None or to_float(hi) is None:
        return DASH
    return f"[{fmt_num(lo, digits)}, {fmt_num(hi, digits)}]"


def fmt_int(x) -> str:
    """An integer count (thin-space-free, comma thousands separator)."""
    v = to_float(x)
    if v is None:
        return DASH
    return f"{int(round(v)):,}"


def fmt_pct(x, digits: int = 1) -> str:
    """A proportion in [0, 1] as a percentage."""
    v = to_float(x)
    if v is None:
        return DASH
    return f"{100 * v:.{digits}f}%"


def fmt_value(x, digits: int = 2) -> str:
    """Any JSON scalar for display: numbers via :func:`fmt_num`, lists joined, text as is."""
    if x is None:
        return DASH
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return _signed(str(x))
    if isinstance(x, float):
        return fmt_num(x, digits)
    if isinstance(x, (list, tuple)):
        return ", ".join(fmt_value(v, digits) for v in x)
    if isinstance(x, dict):
        return "; ".join(f"{k}: {fmt_value(v, digits)}" for k, v in x.items())
    return str(x)
