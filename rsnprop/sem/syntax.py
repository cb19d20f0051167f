"""Parse lavaan model syntax into flat statements (no defaults added yet).

Supported: ``=~`` (measurement), ``~`` (regression), ``~~`` (variance/covariance), ``~ 1``
(intercept/mean), ``:=`` (defined parameter), ``==`` (equality constraint between labels),
modifiers ``a*x`` (label), ``1*x`` (fixed value), ``NA*x`` (free), ``start(0.5)*x``,
``label("a")*x``, per-group vectors in multigroup models (one element per group, as lavaan):
``c(a, b)*x`` (labels), ``c(1, NA)*x`` (fixed in group 1, free in group 2), ``start(c(0.5, NA))*x``,
``label(c(a, b))*x``; several modifiers chained (``NA*a*x``, ``c(NA, NA)*c(a, b)*x``); comments
start with ``#`` or ``!``; statements end at a newline or ``;``.  The length of a vector is checked
against the number of groups when the parameter table is built
(:func:`rsnprop.sem.partable.build_partable`).  Chains apply every modifier; lavaan 0.6-14 keeps
only the label of a chain (``0.5*a*x`` is free there, ``c(NA, NA)*c(a, b)*x1`` a fixed marker), so
write chains only for rsnprop, or one modifier per term for models shared with R.

Examples
--------
>>> from rsnprop.sem.syntax import parse
>>> [(s.lhs, s.op, s.rhs, s.label, s.fixed) for s in parse("f =~ x1 + a*x2 + 0.5*x3")]
[('f', '=~', 'x1', None, None), ('f', '=~', 'x2', 'a', None), ('f', '=~', 'x3', None, 0.5)]
>>> st = parse("f ~ c(0, NA)*1; f =~ x1 + start(c(0.5, NA))*x2")
>>> (st[0].op, st[0].fixed, st[0].free), st[2].start
(('~1', [0.0, None], [False, True]), [0.5, None])

The first statement is lavaan's ``f ~ c(0, NA)*1`` (latent mean fixed to 0 in group 1, free
in group 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ModelSyntaxError

__all__ = ["Statement", "Definition", "parse", "parse_all"]

_OPS = ("=~", "~~", ":=", "==", "<", ">", "~")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUM = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass
class Statement:
    """One ``lhs op rhs`` term with its modifiers (values may be per group lists)."""

    lhs: str
    op: str
    rhs: str
    label: object = None  # str | list[str|None] | None
    fixed: object = None  # float | list[float|None] | None
    free: object = None  # True when NA* given (or list)
    start: object = None
    line: int = 0


@dataclass
class Definition:
    """A defined parameter ``name := expression`` or a constraint ``lhs == rhs``."""

    lhs: str
    op: str
    rhs: str
    line: int = 0
    extra: dict = field(default_factory=dict)


def _strip_comments(text: str) -> list[tuple[int, str]]:
    out = []
    for i, raw in enumerate(text.replace("\r", "").split("\n"), start=1):
        line = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in line.split(";"):
            if part.strip():
                out.append((i, part.strip()))
    return out


def _join_continuations(lines):
    """Join statements that continue on the next line (line ends or starts with an operator)."""
    merged = []
    for lineno, text in lines:
        if merged and (merged[-1][1].rstrip().endswith(("+", "=~", "~~", "~", ":=", "*", ","))
                       or text.lstrip().startswith(("+", "*"))):
            merged[-1] = (merged[-1][0], merged[-1][1] + " " + text)
        else:
            merged.append((lineno, text))
    return merged


def _split_op(text: str, lineno: int):
    for op in _OPS:
        idx = text.find(op)
        if idx >= 0:
            # '~' must not be part of '=~' or '~~' (already tried first)
            return text[:idx].strip(), op, text[idx + len(op):].strip()
    raise ModelSyntaxError(f"line {lineno}: no operator (=~, ~, ~~, :=) in {text!r}", parameter="model")


def _split_plus(text: str, where=None) -> list[str]:
    """Split the right-hand side at the ``+`` between terms.  ``where = (lineno, statement,
    offset of text in statement)``: a ``+`` with no term before or after it (``x1 + x2 +``,
    ``x1 + + x2``, ``+ x1``) is a syntax error naming its position, as in lavaan."""
    terms, depth, cur = [], 0, ""
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "+" and depth == 0 and where is not None and (not cur.strip() or not text[i + 1:].strip()):
            lineno, statement, offset = where
            what = "nothing after" if cur.strip() else "no term before"
            raise ModelSyntaxError(f"line {lineno}, character {offset + i + 1}: '+' with {what} it in "
                                   f"{statement!r}", parameter="model")
        if ch == "+" and depth == 0 and cur.strip() and not re.search(r"(^|[^A-Za-z_.])\d*\.?\d+[eE]$|\*$", cur.strip()):
            terms.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        terms.append(cur.strip())
    return terms


def _split_star(term: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in term:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "*" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def _atom(tok: str, lineno: int):
    """Classify one modifier token -> ('fixed', v) | ('free', True) | ('label', s) | ('start', v)."""
    tok = tok.strip()
    if _NUM.match(tok):
        return "fixed", float(tok)
    if tok in ("NA", "na"):
        return "free", True
    m = re.match(r"^(start|label|equal)\((.*)\)$", tok)
    if m:
        kind, arg = m.group(1), m.group(2).strip().strip("'\"")
        if kind == "start":
            if not _NUM.match(arg):
                raise ModelSyntaxError(f"line {lineno}: start() needs a number, got {tok!r}", parameter="model",
                                       value=tok)
            return "start", float(arg)
        return "label", arg
    if tok.startswith(("'", '"')):
        return "label", tok.strip("'\"")
    if _NAME.match(tok):
        return "label", tok
    raise ModelSyntaxError(f"line {lineno}: cannot read modifier {tok!r}", parameter="model")


def _vector_items(inner: str, tok: str, lineno: int) -> list[str]:
    items = [t.strip() for t in inner.split(",")]
    if not all(items):
        raise ModelSyntaxError(f"line {lineno}: empty element in modifier vector {tok!r}", parameter="model",
                               value=tok)
    return items


def _modifier(tok: str, lineno: int):
    """One modifier: an atom (see :func:`_atom`), a list of atoms for ``c(...)``, or
    ``(kind, list)`` for ``start(c(...))`` / ``label(c(...))`` / ``equal(c(...))``."""
    tok = tok.strip()
    m = re.match(r"^(start|label|equal)\(\s*c\((.*)\)\s*\)$", tok)
    if m:
        items = _vector_items(m.group(2), tok, lineno)
        if m.group(1) == "start":  # NA: lavaan's default start value in that group
            vals = []
            for t in items:
                if t in ("NA", "na"):
                    vals.append(None)
                elif _NUM.match(t):
                    vals.append(float(t))
                else:
                    raise ModelSyntaxError(f"line {lineno}: start(c(...)) needs numbers or NA, got {t!r}",
                                           parameter="model", value=tok)
            return "start", vals
        labels = [t.strip("'\"") for t in items]
        for t in labels:
            if not _NAME.match(t):
                raise ModelSyntaxError(f"line {lineno}: {t!r} in {tok!r} is not a label", parameter="model",
                                       value=tok)
        return "label", labels
    m = re.match(r"^c\((.*)\)$", tok)
    if m:
        return [_atom(t, lineno) for t in _vector_items(m.group(1), tok, lineno)]
    return _atom(tok, lineno)


def parse_all(text: str) -> tuple[list[Statement], list[Definition]]:
    """Parse ``text``; return the parameter statements and the definitions/constraints."""
    if not isinstance(text, str) or not text.strip():
        raise ModelSyntaxError("the model is empty", parameter="model")
    statements, definitions = [], []
    for lineno, line in _join_continuations(_strip_comments(text)):
        lhs, op, rhs = _split_op(line, lineno)
        if op in (":=", "==", "<", ">"):
            if not lhs or not rhs:
                raise ModelSyntaxError(f"line {lineno}: incomplete {op} statement {line!r}", parameter="model")
            definitions.append(Definition(lhs, op, rhs, lineno))
            continue
        if not lhs:
            raise ModelSyntaxError(f"line {lineno}: nothing on the left of {op!r}", parameter="model")
        lhs_names = [x.strip() for x in lhs.split("+")]
        for name in lhs_names:
            if not _NAME.match(name):
                raise ModelSyntaxError(f"line {lineno}: {name!r} is not a variable name", parameter="model")
        if not rhs:
            raise ModelSyntaxError(f"line {lineno}: nothing on the right of {op!r}", parameter="model")
        for term in _split_plus(rhs, where=(lineno, line, line.rfind(rhs))):
            parts = _split_star(term)
            var = parts[-1]
            if op == "~" and var in ("1",):
                var_op, var = "~1", ""
            else:
                var_op = op
                if not _NAME.match(var):
                    raise ModelSyntaxError(f"line {lineno}: {var!r} is not a variable name", parameter="model")
            st_kwargs: dict = {}
            for mod in parts[:-1]:
                if not mod:
                    raise ModelSyntaxError(f"line {lineno}: empty modifier in {term!r}", parameter="model")
                atom = _modifier(mod, lineno)
                if isinstance(atom, list):  # per-group vector
                    kinds = {a[0] for a in atom}
                    vals = [a[1] for a in atom]
                    if kinds <= {"fixed", "free"}:
                        st_kwargs["fixed"] = [None if k == "free" else v for (k, v) in atom]
                        st_kwargs["free"] = [k == "free" for (k, v) in atom]
                    elif kinds <= {"label"}:
                        st_kwargs["label"] = vals
                    elif kinds <= {"start"}:
                        st_kwargs["start"] = vals
                    else:
                        raise ModelSyntaxError(
                            f"line {lineno}: modifier vector {mod!r} mixes labels with values or NA; give "
                            "one vector of labels and one of values, e.g. c(NA, NA)*c(a, b)*x",
                            parameter="model", value=mod)
                else:
                    kind, val = atom
                    st_kwargs[kind] = val
            for name in lhs_names:
                if var_op == "~1":
                    statements.append(Statement(name, "~1", "", line=lineno, **st_kwargs))
                else:
                    statements.append(Statement(name, var_op, var, line=lineno, **st_kwargs))
    if not statements:
        raise ModelSyntaxError("the model has no =~, ~ or ~~ statement", parameter="model")
    return statements, definitions


def parse(text: str) -> list[Statement]:
    """Parse ``text`` and return only the parameter statements (see :func:`parse_all`)."""
    return parse_all(text)[0]
