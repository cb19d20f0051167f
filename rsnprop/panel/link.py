"""Link the cleaned waves of a panel study by a stable firm key, pseudonymised.

Each wave is a clean data set (``rsnprop clean`` output, one per wave, same instrument and rules).
Firms are linked by a key carried in the invitation link (a respondent or firm id).  The key is
replaced by ``panel_id``, a salted SHA-256 (16 hex digits, the formula cleaning uses for
identifiers), so that the linked file holds no identifier.  Problems are logged with reasons, as
cleaning logs its exclusions:

- ``no panel key``: the row has no key; it cannot be linked and is left out;
- ``answered twice in this wave``: a second (third...) response of the same firm in one wave; the
  first response in file order is kept;
- ``not in the first wave``: a firm seen only in a later wave; kept in the panel (it counts in
  cross-sectional analyses of its wave) but it has no baseline for change.

Refused with :class:`~rsnprop.errors.InputError` (exit 2 on the command line): fewer than two
waves, a wave without the key column, a wave whose columns differ from the first wave's, a wave
with fewer than ``min_firms`` firms, and waves that share no firm at all (unlinkable keys).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataQualityWarning, InputError
from ..results import Result

SCHEMA = "rsnprop.panel/1"
NO_KEY = "no panel key"
TWICE = "answered twice in this wave"
LATE = "not in the first wave"
UNSALTED = ("no salt given: panel_id is a plain SHA-256 of the key, which anyone holding the list "
            "of keys can reverse; give --salt or RSNPROP_PANEL_SALT (salt=...) to pseudonymise")


def panel_hash(value, salt: str = "") -> str:
    """Salted SHA-256 of a key, first 16 hex digits (the pseudonym cleaning gives identifiers).

    >>> panel_hash("SIM-0001", salt="s3cret")
    'b5cdd591c88d0352'
    """
    return hashlib.sha256((salt + str(value)).encode("utf-8")).hexdigest()[:16]


@dataclass
class PanelLink(Result):
    """Linked panel: the long data (one row per firm and wave) and the linking log.

    Attributes
    ----------
    data : pandas.DataFrame
        ``panel_id``, ``wave`` and the waves' columns (the key column removed).
    waves : list of str
        Wave labels in order; the first is the baseline.
    counts : list of dict
        Per wave: ``rows_given``, ``no_key``, ``duplicates``, ``n`` (firms kept), ``linked``
        (also in the first wave), ``later_only`` (not in the first wave).
    problems : list of dict
        ``wave``, ``row`` (1-based data row of that wave's file), ``panel_id``, ``reason``.
    """

    data: pd.DataFrame
    waves: list
    key: str
    counts: list
    problems: list = field(default_factory=list)
    salted: bool = True
    warnings: list = field(default_factory=list)
    title: str = "Panel linking"

    def firms_in(self, wave) -> set:
        """``panel_id`` of the firms kept in ``wave``."""
        return set(self.data.loc[self.data["wave"] == str(wave), "panel_id"])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.counts)

    def to_dict(self) -> dict:
        first = self.firms_in(self.waves[0])
        return {"schema": SCHEMA, "key": self.key, "salted": self.salted, "waves": list(self.waves),
                "n_firms": int(self.data["panel_id"].nunique()), "n_first_wave": len(first),
                "counts": self.counts, "problems": self.problems, "warnings": list(self.warnings)}

    def headline(self) -> list:
        c = self.counts
        lines = [f"{len(self.waves)} waves linked by '{self.key}' (pseudonymised panel_id)"]
        for row in c:
            lines.append(f"wave {row['wave']}: {row['n']} firms kept of {row['rows_given']} rows "
                         f"({row['linked']} also in wave {self.waves[0]}, {row['later_only']} "
                         f"not in it, {row['duplicates']} duplicate and {row['no_key']} keyless "
                         "rows left out)")
        return lines

    def summary(self) -> str:
        out = self.headline() + [f"warning: {w}" for w in self.warnings]
        out += [f"  wave {p['wave']} row {p['row']}: {p['reason']}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            out.append(f"  ... {len(self.problems) - 20} more problems in the log")
        return "\n".join(out)


def link_waves(waves, key: str, *, salt: str = "", min_firms: int = 10,
               files=None) -> PanelLink:
    """Link clean waves by ``key``; log duplicates, keyless rows and late joiners.

    Parameters
    ----------
    waves : mapping of str to DataFrame
        Wave label -> clean data of that wave, in wave order (the first is the baseline).
    key : str
        Column holding the stable firm or respondent key of the invitation link.
    salt : str
        Salt of the pseudonym (keep it secret and the same for every wave of a study).
    min_firms : int
        A wave with fewer firms (after removing keyless and duplicate rows) is refused.
    files : mapping of str to str, optional
        Wave label -> file name, named in error messages.

    Returns
    -------
    PanelLink

    Examples
    --------
    >>> import pandas as pd
    >>> w1 = pd.DataFrame({"id": [f"F{i}" for i in range(12)], "x": range(12)})
    >>> w2 = pd.DataFrame({"id": ["F1", "F2", "F2", "F40"] + [f"F{i}" for i in range(3, 11)],
    ...                    "x": range(12)})
    >>> link = link_waves({"2013": w1, "2014": w2}, "id", salt="s")
    >>> [(c["wave"], c["n"], c["linked"], c["duplicates"], c["later_only"]) for c in link.counts]
    [('2013', 12, 12, 0, 0), ('2014', 11, 10, 1, 1)]
    """
    waves = {str(k): v for k, v in dict(waves).items()}
    files = {str(k): v for k, v in dict(files or {}).items()}
    _check_waves(waves, key, files)
    frames, counts, problems = [], [], []
    first_ids: set | None = None
    for label, df in waves.items():
        kept, wave_problems = _pseudonymise(df, key, salt, label)
        if len(kept) < min_firms:
            raise InputError(f"wave '{label}' has {len(kept)} firms with a usable key; a panel "
                             f"wave needs at least {min_firms}", file=files.get(label),
                             column=key)
        ids = set(kept["panel_id"])
        if first_ids is None:
            first_ids = ids
        late = kept.loc[~kept["panel_id"].isin(first_ids)]
        wave_problems += [{"wave": label, "row": int(r), "panel_id": pid, "reason": LATE}
                          for r, pid in zip(late.index + 1, late["panel_id"])]
        counts.append(_count(label, df, kept, wave_problems, first_ids))
        problems += sorted(wave_problems, key=lambda p: p["row"])
        frames.append(kept.reset_index(drop=True))
    _check_linked(counts, files)
    data = pd.concat(frames, ignore_index=True)
    warn = [] if salt else [UNSALTED]
    for w in warn:
        warnings.warn(w, DataQualityWarning, stacklevel=2)
    return PanelLink(data=data, waves=list(waves), key=key, counts=counts, problems=problems,
                     salted=bool(salt), warnings=warn)


def split_waves(data: pd.DataFrame, column: str, order=None) -> dict:
    """Split one export holding every wave by its wave ``column`` (dropped from the parts).

    ``order`` lists the wave labels in wave order (default: sorted labels).  Rows with no wave
    are refused, naming the first such data row.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"wave": [2014, 2013, 2013], "id": ["a", "a", "b"]})
    >>> {k: len(v) for k, v in split_waves(d, "wave").items()}
    {'2013': 2, '2014': 1}
    """
    if column not in data.columns:
        raise InputError("no such column", column=column, parameter="column")
    labels = data[column].astype("string").str.strip()
    if labels.isna().any() or (labels == "").any():
        row = int(((labels.isna()) | (labels == "")).to_numpy().argmax()) + 1
        raise InputError("has no wave label", column=column, row=row)
    found = sorted(labels.unique(), key=lambda x: (len(x), x))
    order = [str(o) for o in (order or found)]
    if sorted(order) != sorted(found):
        raise InputError(f"the waves in the data are {', '.join(found)}", parameter="order",
                         value=", ".join(order))
    parts = data.drop(columns=[column])
    return {lab: parts.loc[(labels == lab).to_numpy()].reset_index(drop=True) for lab in order}


def _check_waves(waves: dict, key: str, files: dict) -> None:
    """At least two waves, each with the key column and the first wave's columns."""
    if len(waves) < 2:
        raise InputError(f"a panel needs at least two waves, got {len(waves)}", parameter="waves")
    first_label, first = next(iter(waves.items()))
    for label, df in waves.items():
        if not isinstance(df, pd.DataFrame):
            raise InputError("each wave must be a data frame", parameter="waves", value=label)
        if key not in df.columns:
            raise InputError(f"wave '{label}' has no key column '{key}'", file=files.get(label),
                             column=key, parameter="key")
        missing = [c for c in first.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in first.columns]
        if missing or extra:
            raise InputError(
                f"wave '{label}' does not have the columns of wave '{first_label}' (missing: "
                f"{_few(missing)}; extra: {_few(extra)}): clean every wave with the same "
                "instrument and rules", file=files.get(label))


def _few(names: list) -> str:
    shown = ", ".join(map(str, names[:5]))
    return (shown + f" and {len(names) - 5} more") if len(names) > 5 else (shown or "none")


def _pseudonymise(df: pd.DataFrame, key: str, salt: str, label: str):
    """Drop keyless rows and repeated responses; replace the key by ``panel_id``."""
    raw = df[key]
    text = raw.astype("string").str.strip()
    no_key = raw.isna() | text.isna() | (text == "")
    ids = pd.Series([None if m else panel_hash(v, salt) for v, m in zip(text, no_key)],
                    index=df.index, dtype="object")
    dup = ids.duplicated(keep="first") & ~no_key
    first_row = {pid: i for i, pid in reversed(list(enumerate(ids, start=1))) if pid is not None}
    problems = [{"wave": label, "row": i, "panel_id": None, "reason": NO_KEY}
                for i, m in enumerate(no_key, start=1) if m]
    problems += [{"wave": label, "row": i, "panel_id": pid,
                  "reason": f"{TWICE} (kept data row {first_row[pid]})"}
                 for i, (pid, d) in enumerate(zip(ids, dup), start=1) if d]
    keep = ~no_key & ~dup
    kept = df.loc[keep].drop(columns=[key]).copy()
    kept.index = pd.RangeIndex(len(df))[keep.to_numpy()]
    kept.insert(0, "wave", label)
    kept.insert(0, "panel_id", ids[keep].to_numpy())
    return kept, problems


def _count(label, df, kept, problems, first_ids) -> dict:
    reasons = [p["reason"] for p in problems]
    linked = int(kept["panel_id"].isin(first_ids).sum())
    return {"wave": label, "rows_given": int(len(df)), "no_key": reasons.count(NO_KEY),
            "duplicates": sum(r.startswith(TWICE) for r in reasons), "n": int(len(kept)),
            "linked": linked, "later_only": int(len(kept)) - linked}


def _check_linked(counts: list, files: dict) -> None:
    """Every later wave shares at least one firm with the first (else the keys do not match)."""
    for c in counts[1:]:
        if c["linked"] == 0:
            raise InputError(
                f"no firm of wave '{c['wave']}' is found in wave '{counts[0]['wave']}': the keys "
                "cannot be linked (different key columns, a different salt, or ids rewritten by the "
                "survey platform?)", file=files.get(c["wave"]), parameter="key")
