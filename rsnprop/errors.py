"""Exceptions and warnings raised by rsnprop.

Every error a user can cause is an :class:`RsnpropError`; each concrete class also
subclasses the matching built-in (``ValueError``, ``FileNotFoundError``...) so that
ordinary ``except ValueError`` code keeps working.  The command line turns any
``RsnpropError`` into a one-line message on stderr and exit status 2; anything else is
a bug (exit status 1).

Statistical trouble (non-convergence, Heywood cases, empty cells...) is never an
exception: it is a warning of one of the classes below *and* a flag in the result.

Examples
--------
>>> from rsnprop.errors import InputError
>>> err = InputError("not a number", file="raw.csv", column="rel_1", row=7, value="abc")
>>> str(err)
"raw.csv: column 'rel_1', row 7, value 'abc': not a number"
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "RsnpropError",
    "InputError",
    "DataFileError",
    "MissingFileError",
    "SpecificationError",
    "InstrumentError",
    "ModelSyntaxError",
    "PlanError",
    "EstimationError",
    "RsnpropWarning",
    "ConvergenceWarning",
    "HeywoodCaseWarning",
    "NonPositiveDefiniteWarning",
    "NearSingularWarning",
    "EmptyCellWarning",
    "DataQualityWarning",
]


def _fmt_value(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class RsnpropError(Exception):
    """Base class of every error a user can cause.

    Parameters
    ----------
    message : str
        What is wrong, in words a researcher understands.
    file, column, row, value, parameter : optional
        Where the problem is.  They are prefixed to the message in that order, so that
        the one-line CLI message always names the file, column, row and offending value.
    """

    def __init__(self, message: str, *, file=None, column=None, row=None, value=None,
                 parameter=None, problems=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.column = column
        self.row = row
        self.value = value
        self.parameter = parameter
        #: optional list of further problems (dicts) when several were collected
        self.problems = list(problems or [])
        super().__init__(self.compose())

    def compose(self) -> str:
        """The message with its location prefixed (file, then parameter, column, row, value):
        what ``str(err)`` shows.  Call it again after changing a field (``err.args =
        (err.compose(),)``), as :meth:`at_file` does.

        >>> err = InputError("not numeric", column="x1")
        >>> err.column = "x2"; err.compose()
        "column 'x2': not numeric"
        """
        where = []
        if self.parameter is not None:
            where.append(f"parameter '{self.parameter}'")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.value is not None:
            where.append(f"value {_fmt_value(self.value)}")
        prefix = f"{self.file}: " if self.file else ""
        if where:
            prefix += ", ".join(where) + ": "
        return prefix + self.message

    def at_file(self, file) -> "RsnpropError":
        """Name ``file`` in the message when no file is named yet; returns ``self``.

        >>> str(InputError("not numeric", column="x1", row=2).at_file("d.csv"))
        "d.csv: column 'x1', row 2: not numeric"
        """
        if self.file is None:
            self.file = str(file)
            self.args = (self.compose(),)
        return self

    def to_dict(self) -> dict:
        """JSON-safe description (used by ``--json`` error output)."""
        out = {"error": type(self).__name__, "message": str(self)}
        for key in ("file", "column", "row", "parameter"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val if isinstance(val, (int, str)) else str(val)
        if self.value is not None:
            out["value"] = str(self.value)
        if self.problems:
            out["problems"] = self.problems
        return out


class InputError(RsnpropError, ValueError):
    """A bad argument or bad data value."""


class DataFileError(InputError):
    """A data file that cannot be read or does not have the expected columns."""


class MissingFileError(RsnpropError, FileNotFoundError):
    """A file named by the user does not exist."""


class SpecificationError(RsnpropError, ValueError):
    """A bad specification: instrument, model syntax or study plan."""


class InstrumentError(SpecificationError):
    """The instrument YAML does not pass schema or semantic validation."""


class ModelSyntaxError(SpecificationError):
    """Model syntax (lavaan style) that cannot be parsed or does not fit the data."""


class PlanError(SpecificationError):
    """The study plan (preregistration) is invalid."""


class EstimationError(RsnpropError, RuntimeError):
    """A model that cannot be estimated at all (e.g. more parameters than moments)."""


class RsnpropWarning(UserWarning):
    """Base class of rsnprop's warnings."""


class ConvergenceWarning(RsnpropWarning):
    """The optimiser did not converge; estimates are not trustworthy."""


class HeywoodCaseWarning(RsnpropWarning):
    """A negative variance estimate or a standardised loading above 1."""


class NonPositiveDefiniteWarning(RsnpropWarning):
    """A covariance matrix (observed, implied or latent) is not positive definite."""


class NearSingularWarning(RsnpropWarning):
    """A (near-)singular correlation or covariance matrix."""


class EmptyCellWarning(RsnpropWarning):
    """A group or category with too few (or no) observations."""


class DataQualityWarning(RsnpropWarning):
    """Something in the data deserves a look but does not stop the analysis."""
