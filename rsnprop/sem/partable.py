"""Build lavaan's parameter table from parsed statements, with lavaan's ``cfa()``/``sem()`` defaults.

Defaults (as ``lavaan::sem`` with ``auto.*`` options): the first loading of every factor is fixed
to 1 (or, with ``std_lv``, every latent variance is fixed to 1 and loadings are free); residual
variances of observed and latent variables are free; exogenous latent variables covary;
endogenous variables that predict nothing covary (``auto.cov.y``); observed exogenous covariates
have their (co)variances and means fixed to the sample values (``fixed.x``); with a mean
structure, observed intercepts are free and latent means are fixed to 0 (free in groups 2...G
when intercepts are equal across groups).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from ..errors import ModelSyntaxError, RsnpropWarning
from .syntax import parse_all

__all__ = ["ParTable", "build_partable", "assign_parameters", "GROUP_EQUAL_TYPES"]

GROUP_EQUAL_TYPES = ("loadings", "intercepts", "means", "thresholds", "regressions", "residuals",
                     "residual.covariances", "lv.variances", "lv.covariances")


@dataclass
class Row:
    lhs: str
    op: str
    rhs: str
    group: int = 1
    free: bool = True
    value: float | None = None  # fixed value, or user start value
    label: str = ""
    user: int = 1  # 1 user-specified, 0 default
    eq: str = ""  # equality key (rows sharing a key share one parameter)
    start_user: float | None = None
    fixed_x: bool = False
    par: int = -1  # index into theta (free parameters), -1 when fixed
    label_root: str = ""  # label this one is tied to by '==' constraints


@dataclass
class ParTable:
    rows: list[Row]
    ov: list[str]
    lv: list[str]
    ov_x: list[str]
    ngroups: int
    meanstructure: bool
    definitions: list = field(default_factory=list)
    constraints: list = field(default_factory=list)  # constraints not absorbed into npar (none)
    equalities: list = field(default_factory=list)  # 'a == b' statements (absorbed into npar)
    npar: int = 0

    def to_frame(self):
        return pd.DataFrame([r.__dict__ for r in self.rows])


def _per_group(value, g, ngroups, what, stmt, lenient=False):
    if isinstance(value, list):
        if lenient:  # a first pass that only needs the variable names
            return value[min(g, len(value) - 1)]
        if len(value) != ngroups:
            shown = ", ".join("NA" if v is None or v is True else format(v, "g") if isinstance(v, float)
                              else str(v) for v in value)
            shown = f"start(c({shown}))" if what == "start" else f"c({shown})"
            element = f"{stmt.lhs} ~ 1" if stmt.op == "~1" else f"{stmt.lhs} {stmt.op} {stmt.rhs}"
            raise ModelSyntaxError(
                f"line {stmt.line}: the modifier {shown} of {element} has {len(value)} elements but the "
                f"model has {ngroups} group{'s' if ngroups != 1 else ''} (give one element per group)",
                parameter="model", value=shown)
        return value[g]
    return value


def build_partable(model: str, *, ngroups: int = 1, std_lv: bool = False, meanstructure: bool = False,
                   group_equal=(), group_partial=(), data_columns=None, ordered=(), probe=False) -> ParTable:
    """Parse ``model`` and return the full parameter table with lavaan's defaults.

    The recipe: the model's variables and their roles; per group, the user's statements and then
    lavaan's default rows; equality across groups (``group_equal`` except ``group_partial``);
    ``label == label`` constraints; lavaan's rule for equality classes holding a fixed row; the
    parameter indices.  ``probe=True``: a first pass that only needs the variables (per-group
    ``c()`` vectors are not checked against ``ngroups``).

    Examples
    --------
    >>> pt = build_partable("f =~ x1 + x2 + x3", meanstructure=True)
    >>> [(r.lhs, r.op, r.rhs, r.free) for r in pt.rows][:4]
    [('f', '=~', 'x1', False), ('f', '=~', 'x2', True), ('f', '=~', 'x3', True), ('x1', '~~', 'x1', True)]
    >>> pt.npar
    9

    In R: ``lavaanify("f =~ x1 + x2 + x3", auto = TRUE, meanstructure = TRUE)`` (``cfa()``'s table).
    """
    statements, definitions = parse_all(model)
    _check_group_equal(group_equal)
    roles = _variable_roles(statements, data_columns)
    ordered = list(ordered or [])
    rows: list[Row] = []
    for g in range(ngroups):
        grp = _GroupRows(g)
        _add_user_rows(grp, statements, ngroups, std_lv, probe)
        _add_variances(grp, roles, ordered, std_lv, group_equal)
        _add_covariances(grp, roles)
        if meanstructure:
            _add_means(grp, roles, ordered, ngroups, group_equal)
        _mark_user_fixed_x(grp.rows, roles.ov_x)
        rows.extend(grp.rows)
    _set_group_equal(rows, roles.lv, ngroups, group_equal, group_partial, probe)
    _tie_equal_labels(rows, definitions)
    _fix_equality_classes(rows)
    npar = assign_parameters(rows)
    _check_definitions(definitions, rows)
    # '==' constraints are absorbed into the parameter indices: npar is already the number of
    # free parameters, and ``constraints`` (constraints still to be imposed) stays empty
    return ParTable(rows=rows, ov=roles.ov, lv=roles.lv, ov_x=roles.ov_x, ngroups=ngroups,
                    meanstructure=meanstructure, definitions=[d for d in definitions if d.op == ":="],
                    constraints=[], equalities=[d for d in definitions if d.op != ":="], npar=npar)


def _check_group_equal(group_equal) -> None:
    for ge in group_equal:
        if ge not in GROUP_EQUAL_TYPES:
            raise ModelSyntaxError(f"unknown group_equal type (known: {', '.join(GROUP_EQUAL_TYPES)})",
                                   parameter="group_equal", value=ge)


@dataclass
class _Roles:
    """The model's variables and their roles (what lavaan's defaults depend on)."""

    ov: list  # observed variables, in lavaan's order
    lv: list  # latent variables (left of =~)
    ov_x: list  # observed exogenous covariates (fixed.x): only predictors, never outcomes nor indicators
    exogenous_lv: list  # latent variables that are not regressed on anything
    pure_y: list  # endogenous variables that predict nothing (auto.cov.y)


def _variable_roles(statements, data_columns) -> _Roles:
    """Variables in lavaan's order (latent: left of =~; observed: indicators, then the variables
    of regressions, covariances and intercepts), checked against ``data_columns``, and roles."""
    lv: list[str] = []
    for st in statements:
        if st.op == "=~" and st.lhs not in lv:
            lv.append(st.lhs)
    ov: list[str] = []

    def add_ov(name):
        if name not in lv and name not in ov:
            ov.append(name)

    for st in statements:
        if st.op == "=~":
            add_ov(st.rhs)
    for st in statements:
        if st.op in ("~", "~~"):
            add_ov(st.lhs)
            add_ov(st.rhs)
        elif st.op == "~1":
            add_ov(st.lhs)
    if data_columns is not None:
        missing = [v for v in ov if v not in data_columns]
        if missing:
            raise ModelSyntaxError(f"variable not in the data (neither a column nor a latent variable "
                                   f"defined with =~): {', '.join(map(repr, missing))}",
                                   parameter="model", column=missing[0])
    for name in lv:
        if name in (data_columns or ()):
            raise ModelSyntaxError("a latent variable has the name of a data column", parameter="model",
                                   column=name)
    reg_lhs = [st.lhs for st in statements if st.op == "~"]
    reg_rhs = [st.rhs for st in statements if st.op == "~"]
    indicators = {st.rhs for st in statements if st.op == "=~"}
    ov_x = [v for v in ov if v in reg_rhs and v not in reg_lhs and v not in indicators
            and not any(st.op == "~~" and v in (st.lhs, st.rhs) and st.lhs != st.rhs for st in statements)
            and v not in lv]
    return _Roles(ov=ov, lv=lv, ov_x=ov_x, exogenous_lv=[v for v in lv if v not in reg_lhs],
                  pure_y=[v for v in dict.fromkeys(reg_lhs) if v not in reg_rhs and v not in indicators])


class _GroupRows:
    """The rows of one group (0-based ``g``) as they are built, and the (lhs, op, rhs) seen."""

    def __init__(self, g: int):
        self.g = g
        self.rows: list[Row] = []
        self.seen: set = set()

    def key(self, lhs, op, rhs):
        """The key of a statement: a covariance given the other way round is the same row."""
        if op == "~~" and (rhs, op, lhs) in self.seen:
            return (rhs, op, lhs)
        return (lhs, op, rhs)

    def add(self, lhs, op, rhs, free=True, value=None, fixed_x=False):
        """A default row (``user=0``), unless the group already has it."""
        if (lhs, op, rhs) in self.seen or (op == "~~" and (rhs, op, lhs) in self.seen):
            return
        self.seen.add((lhs, op, rhs))
        self.rows.append(Row(lhs, op, rhs, group=self.g + 1, free=free, value=value, user=0, fixed_x=fixed_x))


def _add_user_rows(grp: _GroupRows, statements, ngroups, std_lv, probe) -> None:
    """The user's statements with this group's modifiers; a repeated statement only adds
    modifiers; the first loading of a factor is fixed to 1 unless ``std_lv``, a value or ``NA*``."""
    first_loading_done = set()
    for st in statements:
        label = _per_group(st.label, grp.g, ngroups, "label", st, probe)
        fixed = _per_group(st.fixed, grp.g, ngroups, "fixed", st, probe)
        free_na = _per_group(st.free, grp.g, ngroups, "free", st, probe)
        start = _per_group(st.start, grp.g, ngroups, "start", st, probe)
        k = grp.key(st.lhs, st.op, st.rhs)
        if k in grp.seen:
            for r in grp.rows:
                if (r.lhs, r.op, r.rhs) == k:
                    if label:
                        r.label = label
                    if fixed is not None:
                        r.free, r.value = False, float(fixed)
            continue
        grp.seen.add(k)
        row = Row(k[0], k[1], k[2], group=grp.g + 1, label=label or "")
        if fixed is not None:
            row.free, row.value = False, float(fixed)
        if start is not None:
            row.start_user = float(start)
        if st.op == "=~" and st.lhs not in first_loading_done:
            first_loading_done.add(st.lhs)
            if not std_lv and fixed is None and not free_na:
                row.free, row.value = False, 1.0
        grp.rows.append(row)


def _add_variances(grp: _GroupRows, roles: _Roles, ordered, std_lv, group_equal) -> None:
    """Residual variances of observed variables (not of fixed.x covariates; ordinal ones fixed
    at 1, the estimator sets them) and latent variances (fixed at 1 with ``std_lv``)."""
    for v in roles.ov:
        if v in roles.ov_x:
            continue
        if v in ordered:
            continue
        grp.add(v, "~~", v)
    for v in roles.lv:
        # lavaan: with std.lv and equal loadings, latent variances are free in groups 2..G
        free_var = grp.g > 0 and "loadings" in group_equal and "lv.variances" not in group_equal
        if std_lv and not free_var:
            grp.add(v, "~~", v, free=False, value=1.0)
        else:
            grp.add(v, "~~", v)
    # ordinal: residual variances fixed (delta parametrisation) are handled by the estimator
    for v in ordered:
        grp.add(v, "~~", v, free=False, value=1.0)


def _add_covariances(grp: _GroupRows, roles: _Roles) -> None:
    """Covariances of exogenous latent variables, of endogenous variables that predict nothing
    (``auto.cov.y``) and of fixed.x covariates (values filled from the data later)."""
    for i, a in enumerate(roles.exogenous_lv):
        for b in roles.exogenous_lv[i + 1:]:
            grp.add(a, "~~", b)
    for i, a in enumerate(roles.pure_y):
        for b in roles.pure_y[i + 1:]:
            grp.add(a, "~~", b)
    for i, a in enumerate(roles.ov_x):
        for b in roles.ov_x[i:]:
            grp.add(a, "~~", b, free=False, value=None, fixed_x=True)


def _add_means(grp: _GroupRows, roles: _Roles, ordered, ngroups, group_equal) -> None:
    """Mean structure: observed intercepts free (ordinal: 0; fixed.x: sample means), latent means
    0 (free in groups 2..G when intercepts are equal and means are not)."""
    for v in roles.ov:
        if v in ordered:
            grp.add(v, "~1", "", free=False, value=0.0)
        elif v in roles.ov_x:
            grp.add(v, "~1", "", free=False, value=None, fixed_x=True)
        else:
            grp.add(v, "~1", "")
    for v in roles.lv:
        free_mean = (grp.g > 0 and ngroups > 1 and "intercepts" in group_equal
                     and "means" not in group_equal)
        grp.add(v, "~1", "", free=free_mean, value=None if free_mean else 0.0)


def _mark_user_fixed_x(rows, ov_x) -> None:
    """Rows the user gave for x-covariates (free ones) are still fixed.x."""
    for r in rows:
        if r.op == "~~" and r.lhs in ov_x and r.rhs in ov_x and r.user == 1 and r.free:
            r.fixed_x = True
            r.free = False


def _set_group_equal(rows, lv, ngroups, group_equal, group_partial, probe) -> None:
    """Equality across groups (``group_equal``), except ``group_partial``: rows of one type share
    an equality key; a ``group_partial`` entry that names no parameter is an error."""
    partial = {_norm_partial(p) for p in group_partial}
    if ngroups > 1 and group_equal:
        lvset = set(lv)
        for r in rows:
            # lavaan: every row of the type is in the class, fixed ones too (a value fixed in one
            # group is then fixed in all, see _fix_equality_classes); user labels and fixed.x rows
            # stay apart
            if r.label or r.fixed_x:
                continue
            t = _eq_type(r, lvset)
            if t is None or t not in group_equal:
                continue
            if (r.lhs, r.op, r.rhs) in partial or (r.rhs, r.op, r.lhs) in partial:
                continue
            r.eq = f".eq.{r.lhs}{r.op}{r.rhs}"
    if partial and not probe:  # a typo in --partial would silently keep the constraint
        present = {(r.lhs, r.op, r.rhs) for r in rows}
        for p in sorted(partial):
            if p not in present and (p[2], p[1], p[0]) not in present:
                raise ModelSyntaxError("names a parameter that is not in the model",
                                       parameter="group_partial", value="".join(p))


def _tie_equal_labels(rows, definitions) -> None:
    """``a == b`` between labels: the labels share one parameter (``label_root``); other
    constraints are errors."""
    alias: dict[str, str] = {}
    for d in definitions:
        if d.op == ":=":
            continue
        if d.op != "==":
            raise ModelSyntaxError(f"line {d.line}: inequality constraints ({d.op}) are not supported",
                                   parameter="model", value=f"{d.lhs} {d.op} {d.rhs}")
        known = {r.label for r in rows if r.label}
        a, b = d.lhs.strip(), d.rhs.strip()
        if a not in known or b not in known:
            raise ModelSyntaxError(f"line {d.line}: only constraints 'label1 == label2' between labels "
                                   "of the model are supported", parameter="model", value=f"{a} == {b}")

        def root(x):
            while x in alias:
                x = alias[x]
            return x

        ra, rb = root(a), root(b)
        if ra != rb:
            alias[rb] = ra
    if alias:
        for r in rows:
            if r.label:
                x = r.label
                while x in alias:
                    x = alias[x]
                r.eq = r.eq or ""
                r.label_root = x


def _check_definitions(definitions, rows) -> None:
    """A defined parameter (``:=``) may not have the name of a label."""
    labels_fixed = {r.label for r in rows if not r.free and r.label}
    labels_free = {r.label for r in rows if r.free and r.label}
    for d in definitions:
        if d.op == ":=" and d.lhs in labels_free | labels_fixed:
            raise ModelSyntaxError("defined parameter has the name of a label", parameter="model", value=d.lhs)


def _class_key(r):
    lab = r.label_root or r.label
    return ("L:" + lab) if lab else ("E:" + r.eq) if r.eq else None


def _fix_equality_classes(rows) -> None:
    """lavaan's rule for equality classes (rows sharing a label, an '==' root or a ``group_equal``
    key) holding a fixed row: every row of the class is fixed to the value of the first fixed one
    (``c(NA, 0.6)*x2`` with ``group_equal=["loadings"]`` fixes the loading to 0.6 in both
    groups), with a warning when the fixed values differ."""

    classes: dict[str, list] = {}
    for r in rows:
        k = _class_key(r)
        if k is not None and not r.fixed_x:
            classes.setdefault(k, []).append(r)
    for k, members in classes.items():
        fixed = [r for r in members if not r.free]
        if not fixed or len(members) < 2:
            continue
        value = fixed[0].value
        if any(r.value != value for r in fixed[1:]):
            warnings.warn(f"equality constraints involve fixed parameters with different values "
                          f"({fixed[0].lhs} {fixed[0].op} {fixed[0].rhs}); only the first one ({value}) is used",
                          RsnpropWarning, stacklevel=3)
        for r in members:
            r.free, r.value = False, value


def assign_parameters(rows) -> int:
    """Give every free row its index into theta; rows sharing a label (or '==' root) or an
    equality key share one parameter.  Returns the number of parameters."""
    index: dict[str, int] = {}
    npar = 0
    for r in rows:
        r.par = -1
        if not r.free:
            continue
        keyname = _class_key(r)
        if keyname is not None and keyname in index:
            r.par = index[keyname]
            continue
        r.par = npar
        if keyname is not None:
            index[keyname] = npar
        npar += 1
    return npar


def _norm_partial(text: str):
    text = text.replace(" ", "")
    for op in ("=~", "~~", "~1", "~"):
        if op == "~1" and text.endswith("~1"):
            return (text[:-2], "~1", "")
        if op != "~1" and op in text:
            lhs, rhs = text.split(op, 1)
            return (lhs, op, rhs)
    raise ModelSyntaxError("cannot read group_partial entry", parameter="group_partial", value=text)


def _eq_type(r: Row, lvset) -> str | None:
    if r.op == "=~":
        return "loadings"
    if r.op == "~":
        return "regressions"
    if r.op == "|":
        return "thresholds"
    if r.op == "~1":
        return "means" if r.lhs in lvset else "intercepts"
    if r.op == "~~":
        both_lv = r.lhs in lvset and r.rhs in lvset
        if r.lhs == r.rhs:
            return "lv.variances" if both_lv else "residuals"
        return "lv.covariances" if both_lv else "residual.covariances"
    return None
