"""The answers recoded and validated, as one step of cleaning: labels to codes, "don't know"
to missing, wrong types, out-of-range values and invalid codes collected as problems
(:func:`.validate.validate_items`), absent optional items added as unanswered, and the
``survey_language`` column checked (:mod:`.survey_language`).

Examples
--------
>>> import importlib.resources as ir
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.data import CleaningRules, read_table
>>> from rsnprop.data.columns import select_columns
>>> from rsnprop.data.log import Findings
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> raw = read_table(ir.files("rsnprop.datasets") / "example_raw.csv").astype({"employees": object})
>>> raw.loc[0, "employees"] = "many"
>>> found, rules = Findings(), CleaningRules()
>>> cols = select_columns(raw, ins, rules, None, lambda msg: None)
>>> values, recodes, languages = validated_values(cols, ins, rules, found)
>>> str(values.loc[0, "employees"]), found.problems[0].iloc[0, 1:].tolist()
('nan', ['employees', 'many', 'not_a_number'])
"""

from __future__ import annotations

import numpy as np

from .survey_language import check_survey_language
from .validate import DROP_TYPES, LANGUAGE_COLUMN, validate_items
from .validate_small import SMALL_ROWS, ProblemRows, validate_items_small

__all__ = ["validated_values"]


def validated_values(cols, instrument, rules, found, *, table=True):
    """The item values of the export, recoded and validated.

    Parameters
    ----------
    cols : rsnprop.data.columns.Columns
    instrument : rsnprop.instrument.Instrument
    rules : CleaningRules
    found : rsnprop.data.log.Findings
        Receives the value problems (then the language problems) and, with
        ``invalid_values: exclude``, the ``invalid_value`` exclusion reason.
    table : bool
        ``False`` (``clean(..., diagnostics=False)``): a small export's value problems are
        counted, not tabled (:class:`.validate_small.ProblemRows`).

    Returns
    -------
    values : pandas.DataFrame
        One column per validated item (absent optional items as missing).
    recodes : dict
        Item id -> recode counts (``recoded_missing``, ``label_recoded``).
    languages : numpy.ndarray or None
        The questionnaire version of each row, when the export has ``survey_language``.
    """

    items = instrument.items
    # a small export (a power replication) has its numeric columns checked together: the
    # same values, problems and recodes, without a pandas column access per column
    validate = validate_items_small if 0 < len(cols.df) <= SMALL_ROWS else validate_items
    # (cols.df is the recipe's own copy of the export: its validated float columns may go)
    kw = {"release_read": True} if validate is validate_items else {"table": table}
    values, problems, recodes = validate(cols.df, instrument, rules, cols.value_cols, **kw)
    for c in cols.absent:
        if c != "resp_id" and items[c].type not in DROP_TYPES and not getattr(items[c], "pii", False):
            values[c] = np.nan if getattr(items[c], "numeric", True) else None
    found.problems.append(problems)
    languages = None
    if LANGUAGE_COLUMN in cols.df.columns:   # the questionnaire version answered (docs/languages.md)
        languages, lang_probs = check_survey_language(cols.df[LANGUAGE_COLUMN],
                                                      getattr(instrument, "languages", ()))
        found.problems.append(lang_probs)
    if rules.invalid_values == "exclude" and len(problems):
        m = np.zeros(len(values), dtype=bool)
        m[problems.rows if isinstance(problems, ProblemRows) else problems["row"].to_numpy()] = True
        found.reasons["invalid_value"] = m
    return values, recodes, languages
