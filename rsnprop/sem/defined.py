"""Defined parameters (``name := expression``) with delta-method standard errors."""

from __future__ import annotations

import ast
import functools

import numpy as np
import pandas as pd

from ..distributions import norm_sf
from ..errors import ModelSyntaxError

__all__ = ["defined_rows", "evaluate_definitions"]

_FUNCS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant, ast.Call,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _compile(expr: str):
    """Compile an arithmetic expression of labels (``+ - * / ^``, numbers, exp/log/sqrt/abs);
    anything else (attributes, subscripts, other calls) is refused."""
    text = expr.replace("^", "**")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ModelSyntaxError("cannot read the defined-parameter expression", parameter="model",
                               value=expr) from err
    if len(expr) > 2000:
        raise ModelSyntaxError("defined-parameter expression too long", parameter="model",
                               value=expr)
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED) or (isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords)):
            raise ModelSyntaxError("defined parameters may only use labels, numbers, + - * / ^ and "
                                   "exp/log/sqrt/abs", parameter="model", value=expr)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ModelSyntaxError("defined parameters may only use labels and numbers (no "
                                       "text)", parameter="model", value=expr)
            # numbers as floats: 9^9^9 overflows at once instead of building a huge integer
            try:
                node.value = float(node.value)
            except OverflowError:
                raise ModelSyntaxError("number too large in a defined parameter",
                                       parameter="model", value=expr) from None
    return compile(tree, "<:=>", "eval")


@functools.lru_cache(maxsize=256)
def _compiled(expr: str):
    """:func:`_compile`, once per expression (the delta method evaluates every definition twice
    per parameter; a code object is immutable, an error is raised again each time)."""
    return _compile(expr)


def evaluate_definitions(pt, values_by_label: dict) -> dict:
    """Evaluate every ``:=`` in order (later ones may use earlier ones)."""
    env = dict(values_by_label)
    out = {}
    for d in pt.definitions:
        code = _compiled(d.rhs)
        for name in code.co_names:
            if name not in env and name not in _FUNCS:
                raise ModelSyntaxError("unknown label in a defined parameter", parameter="model", value=name)
        try:
            with np.errstate(all="ignore"):
                val = float(eval(code, {"__builtins__": {}, **_FUNCS}, env))
        except (OverflowError, ZeroDivisionError, ValueError, TypeError) as err:
            raise ModelSyntaxError(f"cannot evaluate the defined parameter {d.lhs} "
                                   f"({type(err).__name__}: {err})", parameter="model",
                                   value=d.rhs) from None
        env[d.lhs] = val
        out[d.lhs] = val
    return out


def label_values(pt, theta, est_column=None, group_rows=None):
    vals = {}
    for k, r in enumerate(pt.rows):
        if r.label and r.label not in vals:
            vals[r.label] = theta[r.par] if (r.par >= 0 and est_column is None) else (
                est_column[k] if est_column is not None else r.value)
    return vals


def _label_sources(pt):
    """``[(label, par, value)]`` of the first row of each label: :func:`label_values` of a
    ``theta`` is ``{label: theta[par] if par >= 0 else value}``."""
    seen, out = set(), []
    for r in pt.rows:
        if r.label and r.label not in seen:
            seen.add(r.label)
            out.append((r.label, r.par, r.value))
    return out


def defined_rows(pt, theta, vcov, table, zq):
    """Rows (DataFrame) of the defined parameters: est, delta-method se, z, p, CI, std."""

    sources = _label_sources(pt)

    def f(t):
        values = {lab: (t[par] if par >= 0 else value) for lab, par, value in sources}
        return np.array(list(evaluate_definitions(pt, values).values()))

    est = f(theta)
    J = np.zeros((len(est), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        J[:, j] = (f(tp) - f(tm)) / (2 * h)
    se = np.sqrt(np.clip(np.diag(J @ vcov @ J.T), 0, None)) if vcov is not None else np.full(len(est), np.nan)
    std = {}
    for col in ("std_lv", "std_all"):
        std[col] = np.array(list(evaluate_definitions(
            pt, label_values(pt, theta, est_column=table[col].to_numpy()[: len(pt.rows)])).values()))
    with np.errstate(all="ignore"):
        z = est / se
    names = [d.lhs for d in pt.definitions]
    return pd.DataFrame({
        "lhs": names, "op": ":=", "rhs": [d.rhs.replace(" ", "") for d in pt.definitions],
        "group": 0, "group_label": None, "label": names, "free": False,
        "est": est, "se": se, "z": z, "pvalue": 2 * norm_sf(np.abs(z)),
        "ci_lower": est - zq * se, "ci_upper": est + zq * se,
        "std_lv": std["std_lv"], "std_all": std["std_all"],
    })
