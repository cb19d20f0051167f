import warnings

import pytest

from rsnprop import errors


def test_message_names_file_column_row_value():
    err = errors.InputError("not a number", file="raw.csv", column="rel_1", row=7, value="abc")
    assert str(err) == "raw.csv: column 'rel_1', row 7, value 'abc': not a number"
    assert err.to_dict() == {"error": "InputError", "message": str(err), "file": "raw.csv",
                             "column": "rel_1", "row": 7, "value": "abc"}


def test_parameter_prefix():
    err = errors.InputError("must be positive", parameter="n", value=-3)
    assert str(err) == "parameter 'n', value -3: must be positive"


@pytest.mark.parametrize("cls, builtin", [
    (errors.InputError, ValueError),
    (errors.DataFileError, ValueError),
    (errors.MissingFileError, FileNotFoundError),
    (errors.InstrumentError, ValueError),
    (errors.ModelSyntaxError, ValueError),
    (errors.PlanError, ValueError),
    (errors.EstimationError, RuntimeError),
])
def test_family_subclasses_builtins(cls, builtin):
    err = cls("x")
    assert isinstance(err, errors.RsnpropError)
    assert isinstance(err, builtin)


def test_long_values_are_shortened():
    err = errors.InputError("bad", value="x" * 500)
    assert len(str(err)) < 100


def test_warning_classes_are_user_warnings():
    for name in ("ConvergenceWarning", "HeywoodCaseWarning", "NonPositiveDefiniteWarning",
                 "NearSingularWarning", "EmptyCellWarning", "DataQualityWarning"):
        cls = getattr(errors, name)
        assert issubclass(cls, errors.RsnpropWarning)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.warn("w", cls)
        assert caught and issubclass(caught[0].category, UserWarning)
