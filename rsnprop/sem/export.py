"""Write a fitted model back as lavaan syntax."""

from __future__ import annotations

__all__ = ["to_lavaan"]


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def to_lavaan(res) -> str:
    """lavaan syntax with every parameter fixed at its estimate (``c()`` vectors for groups)."""
    est = res.estimates
    G = res.ngroups
    lines = []
    order = []
    seen = set()
    for r in est.itertuples():
        if r.op == ":=":
            continue
        key = (r.lhs, r.op, r.rhs)
        if key not in seen:
            seen.add(key)
            order.append(key)
    for lhs, op, rhs in order:
        sel = est[(est.lhs == lhs) & (est.op == op) & (est.rhs == rhs)].sort_values("group")
        vals = [_fmt(v) for v in sel.est]
        mod = vals[0] if G == 1 else "c(" + ", ".join(vals) + ")"
        if op == "~1":
            lines.append(f"{lhs} ~ {mod}*1")
        else:
            lines.append(f"{lhs} {op} {mod}*{rhs}")
    return "\n".join(lines) + "\n"
