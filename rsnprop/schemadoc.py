"""The page ``docs/schemas.md``, generated from the stage output models of :mod:`rsnprop.schemas`
(``python scripts/schemas_doc.py`` writes it; ``tests/test_schemas.py`` checks it is current).
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel

from .schemas import MODELS

__all__ = ["schemas_markdown"]

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null",
            Any: "any"}


def _type_text(ann, nested: list) -> str:
    """Readable JSON type of an annotation; models met on the way are appended to ``nested``."""

    if ann in _SCALARS:
        return _SCALARS[ann]
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if ann not in nested:
            nested.append(ann)
        return f"[{ann.__name__}](#{ann.__name__.lower()})"
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_text(a, nested) for a in args]
        if "number" in parts and "integer" in parts:
            parts.remove("integer")
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return "list of " + _type_text(args[0], nested)
    if origin is dict:
        return "object" if args[1] is Any else "object of " + _type_text(args[1], nested)
    return str(ann)  # pragma: no cover - a type the models do not use


def _field_table(model: type[BaseModel], nested: list) -> list[str]:
    rows = ["| key | type | required | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        text = (field.description or "").replace("|", "\\|")
        if key == "schema":
            text = f"`{model.SCHEMA}`"
        rows.append(f"| `{key}` | {_type_text(field.annotation, nested).replace('|', '/')} | "
                    f"{'yes' if field.is_required() else 'no'} | {text} |")
    return rows


def _doc(model) -> str:
    return inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")


def schemas_markdown() -> str:
    """The page ``docs/schemas.md``: every stage output's schema, generated from the models.

    >>> text = schemas_markdown()
    >>> "## `rsnprop.propositions/1`" in text and "| `verdicts` |" in text
    True
    """
    out = ["# Stage output schemas", "",
           "<!-- Generated from rsnprop/schemas/ by `python scripts/schemas_doc.py`: do not edit "
           "by hand; tests/test_schemas.py fails when this page and the models differ. -->", "",
           "Every JSON file a pipeline stage writes names its contract in its `schema` key, "
           "`rsnprop.<stage>/<version>`. The tables below list the stable core of each output: "
           "the keys that downstream code (the report, `rsnprop.load_result`) may rely on. "
           "Stages may write further keys (every record accepts them); removing or retyping a "
           "key listed here makes a new version of the schema.", "",
           "Read any output with `rsnprop.load_result(path)`, which returns the typed model "
           "(`rsnprop.schemas`); a file with another schema (older, or another stage's) is "
           "refused with a `DataFileError` naming the schema expected and the one found.", "",
           "| schema | model | written by |", "|---|---|---|"]
    writers = {"cleaning": "`rsnprop clean --log`", "measurement": "`rsnprop measure`",
               "fit": "`rsnprop fit --json`", "invariance": "`rsnprop invariance --json`",
               "propositions": "`rsnprop test`", "power": "`rsnprop power -o`"}
    for sid, model in MODELS.items():
        stage = sid.rsplit("/", 1)[0].split(".", 1)[1]
        out.append(f"| `{sid}` | [{model.__name__}](#{model.__name__.lower()}) | "
                   f"{writers.get(stage, '')} |")
    documented: set = set()
    for sid, model in MODELS.items():
        nested: list = []
        out += ["", f"## `{sid}`", "", f"### {model.__name__}", "", _doc(model), ""]
        out += _field_table(model, nested)
        for sub in nested:  # grows while the tables of nested records are written
            if sub in documented:
                continue
            documented.add(sub)
            out += ["", f"### {sub.__name__}", "", _doc(sub), ""]
            out += _field_table(sub, nested)
    return "\n".join(out) + "\n"
