"""Text columns of the simulated export built as pyarrow arrays, without a Python string per
row: the respondent ids (:func:`resp_ids`, the same for every study of ``n`` firms, built
once) and the submission times (:func:`submission_text`, fixed-width ASCII bytes written from
integer arithmetic).  :func:`rsnprop.simulate.export_frame.export_frame` takes such an array
as a text column (the ``str`` column pandas would infer from the same values).

>>> resp_ids(3, "SIM-").to_pylist()
['SIM-0001', 'SIM-0002', 'SIM-0003']
>>> import numpy as np
>>> submission_text(np.datetime64("2024-03-02T08:00:00"), np.array([0, 86399])).to_pylist()
['2024-03-02 08:00:00', '2024-03-03 07:59:59']
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["resp_ids", "submission_text"]

#: (prefix, n) -> the ids' ``large_string`` array (immutable: shared by the studies)
_IDS: dict = {}


def resp_ids(n: int, prefix: str):
    """``[f"{prefix}{i + 1:0{width}d}" for i in range(n)]`` (``width = max(4, len(str(n)))``)
    as a pyarrow ``large_string`` array, built once per ``(prefix, n)`` (at most 64 kept)."""
    key = (prefix, n)
    arr = _IDS.get(key)
    if arr is None:
        if len(_IDS) >= 64:
            _IDS.clear()
        width = max(4, len(str(n)))
        arr = _IDS[key] = pa.array([f"{prefix}{i + 1:0{width}d}" for i in range(n)],
                                   type=pa.large_string())
    return arr


#: epoch day -> its ``%Y-%m-%d`` as ASCII bytes (None: not ten characters), kept across studies
_DATES: dict = {}
#: the ``" %H:%M:%S"`` of every second of a day, as rows of ASCII bytes (built at the first call)
_TIMES: list = []


def submission_text(start, offsets):
    """``"%Y-%m-%d %H:%M:%S"`` of ``start`` (a ``datetime64``) plus ``offsets`` (integer
    seconds) as a pyarrow ``large_string`` array: the text of
    ``np.datetime_as_string(..., unit="s")`` with ``" "`` for ``"T"``, the dates of the days
    spanned (at most 4096) and the times of day as rows of bytes taken per row (None when the
    days span more, or a date is not ten characters wide, e.g. a year after 9999: the
    caller writes the text itself)."""
    secs = np.asarray(start, dtype="datetime64[s]").astype(np.int64) + np.asarray(offsets, np.int64)
    if not len(secs):
        return pa.array([], type=pa.large_string())
    day, tod = np.divmod(secs, 86400)
    first = int(day.min())
    dates = _date_rows(first, int(day.max()) - first + 1)
    if dates is None:
        return None
    buf = np.empty((len(secs), 19), dtype=np.uint8)
    buf[:, :10] = dates[day - first]
    buf[:, 10:] = _time_rows()[tod]
    ends = np.arange(0, 19 * (len(secs) + 1), 19, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(len(secs), pa.py_buffer(ends), pa.py_buffer(buf))


def _date_rows(first: int, span: int):
    """The ``%Y-%m-%d`` of the epoch days ``first .. first + span - 1`` as a (span, 10) uint8
    array (``np.datetime_as_string``'s text), None when one is not ten characters wide or
    ``span`` exceeds 4096."""
    if span > 4096:
        return None
    days = range(first, first + span)
    new = [d for d in days if d not in _DATES]
    if new:
        if len(_DATES) > 65536:
            _DATES.clear()
            new = list(days)
        text = np.datetime_as_string(np.array(new, dtype="datetime64[D]")).tolist()
        _DATES.update((d, t.encode() if len(t) == 10 else None) for d, t in zip(new, text))
    rows = [_DATES[d] for d in days]
    if None in rows:
        return None
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(span, 10)


def _time_rows():
    """``" %H:%M:%S"`` of the seconds 0 .. 86399 of a day: an (86400, 9) uint8 array."""
    if not _TIMES:
        t = np.arange(86400)
        rows = np.empty((86400, 9), dtype=np.uint8)
        rows[:, 0], rows[:, 3], rows[:, 6] = ord(" "), ord(":"), ord(":")
        for col, part in ((1, t // 3600), (4, t // 60 % 60), (7, t % 60)):
            rows[:, col], rows[:, col + 1] = 48 + part // 10, 48 + part % 10
        _TIMES.append(rows)
    return _TIMES[0]
