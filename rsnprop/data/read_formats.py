"""Reading the other file formats: Excel workbooks (``.xlsx``, cells as text first, formulas
without a saved value reported), SPSS ``.sav`` (codes kept, value labels in the read info)
and Parquet (types kept).

Examples
--------
>>> from rsnprop.data.read_formats import _num_key
>>> _num_key("2.0"), _num_key("a")          # SPSS value-label keys: codes as numbers
(2, 'a')
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pandas as pd

from ..errors import DataFileError, DataQualityWarning
from .read_cells import MISSING_TOKENS, _blank_missing_tokens, _check_header, to_numeric_columns

__all__: list[str] = []


def _warn_formulas_without_values(path: Path, sheet) -> None:
    """Cells holding a formula whose value Excel did not save read as empty: say so."""

    try:
        import openpyxl

        wb_f = openpyxl.load_workbook(path, read_only=True, data_only=False)
        wb_v = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws_f = wb_f.worksheets[sheet] if isinstance(sheet, int) else wb_f[sheet]
        ws_v = wb_v.worksheets[sheet] if isinstance(sheet, int) else wb_v[sheet]
        n = 0
        for row_f, row_v in zip(ws_f.iter_rows(values_only=True), ws_v.iter_rows(values_only=True)):
            n += sum(isinstance(f, str) and f.startswith("=") and v is None
                     for f, v in zip(row_f, row_v))
        wb_f.close()
        wb_v.close()
    except Exception:  # noqa: BLE001 - a best-effort check; pandas reported unreadable files
        return
    if n:
        warnings.warn(f"{path}: {n} cell(s) hold a formula without a saved value and are read "
                      "as missing: open the file in Excel and save it again", DataQualityWarning,
                      stacklevel=4)   # read_table



def _read_excel(path: Path, *, sheet=0, missing_tokens=MISSING_TOKENS):
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise DataFileError(f"not a readable .xlsx workbook ({type(err).__name__}: {err})",
                            file=path) from None
    if df.shape[1] == 0:
        raise DataFileError("the first sheet is empty", file=path)
    df.columns = [str(c) for c in df.columns]
    df = _check_header(df, path)
    obj = df.astype(object).where(df.notna(), None)
    txt = obj.apply(lambda s: s.map(lambda v: None if v is None else str(v)))
    txt, counts = _blank_missing_tokens(txt, missing_tokens)
    df, comma_cols = to_numeric_columns(txt)
    df.attrs["rsnprop_read"] = {"format": "xlsx", "sheet": sheet,
                                "decimal_comma_columns": comma_cols, "missing_tokens": counts}
    _warn_formulas_without_values(path, sheet)
    return df



def _read_sav(path: Path):
    try:
        import pyreadstat
    except ImportError as err:  # pragma: no cover - dependency of rsnprop
        raise DataFileError(f"reading .sav needs pyreadstat ({err})", file=path) from None
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False,
                                       user_missing=False)
    except Exception as err:  # pyreadstat raises its own ReadstatError / PyreadstatError
        raise DataFileError(f"not a readable SPSS .sav file ({type(err).__name__}: {err})",
                            file=path) from None
    labels = {str(col): {_num_key(k): str(v) for k, v in vl.items()}
              for col, vl in (meta.variable_value_labels or {}).items()}
    df.attrs["rsnprop_read"] = {
        "format": "sav",
        "value_labels": labels,
        "column_labels": {str(k): v for k, v in zip(meta.column_names, meta.column_labels) if v},
    }
    return df



def _num_key(k):
    try:
        f = float(k)
        return int(f) if f.is_integer() else f
    except (TypeError, ValueError):
        return k



def _read_parquet(path: Path):
    try:
        df = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError...
        raise DataFileError(f"not a readable Parquet file ({type(err).__name__}: {err})",
                            file=path) from None
    df.attrs["rsnprop_read"] = {"format": "parquet"}
    return df
