"""Tests of rsnprop.data.read / platforms: encodings, delimiters, formats, platform quirks."""

from __future__ import annotations

import string
from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsnprop.data import read_table
from rsnprop.data.platforms import map_platform_columns
from rsnprop.data.read import detect_delimiter, detect_encoding
from rsnprop.errors import DataFileError, InputError, MissingFileError

ROWS = [("A1", 5, "Société Générale", 12.5), ("B2", 3, "Müller GmbH", 0.0),
        ("C3", None, "Łódź sp. z o.o.", 100.0)]


def _csv_text(delim=",", decimal="."):
    lines = [delim.join(["resp_id", "rel_1", "company", "foreign_share_now"])]
    for rid, rel, comp, share in ROWS:
        sh = f"{share}".replace(".", decimal)
        if decimal == "," and delim == ",":
            sh = f'"{sh}"'
        lines.append(delim.join([rid, "" if rel is None else str(rel), comp, sh]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("delim,decimal", [(",", "."), (";", ","), ("\t", "."), (",", ",")])
def test_csv_encodings_delimiters_decimals(tmp_path, encoding, delim, decimal):
    text = _csv_text(delim, decimal)
    if encoding == "cp1252":
        text = text.replace("Łódź", "Lodz")  # not representable in cp1252
    path = tmp_path / "raw.csv"
    path.write_bytes(text.encode(encoding))
    df = read_table(path)
    assert list(df.columns) == ["resp_id", "rel_1", "company", "foreign_share_now"]
    assert df["resp_id"].tolist() == ["A1", "B2", "C3"]
    assert df["foreign_share_now"].tolist() == [12.5, 0.0, 100.0]
    assert df["rel_1"].iloc[0] == 5 and np.isnan(df["rel_1"].iloc[2])
    assert df["company"].iloc[1] == "Müller GmbH"
    assert df.attrs["rsnprop_read"]["delimiter"] == delim


def test_junk_values_stay_text(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("resp_id,rel_1\nA,5\nB,abc\nC,\n", encoding="utf-8")
    df = read_table(path)
    assert df["rel_1"].tolist()[:2] == ["5", "abc"] and df["rel_1"].iloc[2] is None


def test_xlsx_sav_parquet_round_trip(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"resp_id": ["a", "b"], "rel_1": [1.0, 7.0], "sector": [3.0, 5.0]})
    df.to_excel(tmp_path / "raw.xlsx", index=False)
    df.to_parquet(tmp_path / "raw.parquet")
    pyreadstat.write_sav(df, str(tmp_path / "raw.sav"),
                         variable_value_labels={"sector": {3.0: "C", 5.0: "E"}})
    for suffix in ("xlsx", "parquet", "sav"):
        back = read_table(tmp_path / f"raw.{suffix}")
        assert back["resp_id"].tolist() == ["a", "b"], suffix
        assert back["rel_1"].astype(float).tolist() == [1.0, 7.0], suffix
    labels = read_table(tmp_path / "raw.sav").attrs["rsnprop_read"]["value_labels"]
    assert labels["sector"] == {3: "C", 5: "E"}


@pytest.mark.parametrize("name,content,exc,needle", [
    ("nope.csv", None, MissingFileError, "does not exist"),
    ("raw.json", b"{}", DataFileError, "unsupported file type"),
    ("empty.csv", b"", DataFileError, "empty"),
    ("bad.xlsx", b"not a zip", DataFileError, "xlsx"),
    ("bad.sav", b"not spss", DataFileError, "SPSS"),
    ("bad.parquet", b"not parquet", DataFileError, "Parquet"),
    ("dup.csv", b"a,b,a\n1,2,3\n", DataFileError, "duplicate column"),
    ("ragged.csv", b"a,b\n1,2\n1,2,3,4\n", DataFileError, "malformed"),
])
def test_bad_files_raise_clear_errors(tmp_path, name, content, exc, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(exc) as info:
        read_table(path)
    assert needle in str(info.value) and str(path) in str(info.value)


def test_detectors():
    assert detect_encoding("é".encode("utf-8")) == "utf-8"
    assert detect_encoding("é".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"\x81\x8d") in ("latin-1", "cp1252")
    assert detect_delimiter("a|b|c\n1|2|3\n") == "|"
    assert detect_delimiter('x;y\n"1;2";3\n') == ";"


INS = NS(items={k: NS(id=k) for k in ("resp_id", "rel_1", "rel_2", "inf_1", "duration_sec")})


def test_qualtrics_header_rows_and_meta(tmp_path):
    text = (
        'StartDate,ResponseId,IPAddress,RecipientEmail,Duration (in seconds),REL_1,rel_2,inf_1\n'
        'Start Date,Response ID,IP Address,Recipient Email,Duration (in seconds),"I use, RSN",b,c\n'
        '{"ImportId":"startDate"},{"ImportId":"_recordId"},{"ImportId":"ipAddress"},'
        '{"ImportId":"recipientEmail"},{"ImportId":"duration"},{"ImportId":"QID1"},'
        '{"ImportId":"QID2"},{"ImportId":"QID3"}\n'
        '2024-01-01,R_1,1.2.3.4,a@b.c,300,5,4,3\n'
        '2024-01-02,R_2,1.2.3.5,d@e.f,200,2,,1\n')
    path = tmp_path / "qualtrics.csv"
    path.write_text(text, encoding="utf-8")
    df = read_table(path, platform="qualtrics", instrument=INS)
    assert list(df.columns) == ["resp_id", "duration_sec", "rel_1", "rel_2", "inf_1"]
    assert df["resp_id"].tolist() == ["R_1", "R_2"]
    assert df["rel_1"].tolist() == [5, 2] and df["duration_sec"].tolist() == [300, 200]
    info = df.attrs["rsnprop_read"]
    assert sorted(info["dropped_pii"]) == ["IPAddress", "RecipientEmail"]
    assert info["header_rows_dropped"] == 2 and "StartDate" in info["meta_columns"]


def test_kobo_and_limesurvey_names():
    kobo = pd.DataFrame({"start": ["2024-01-01T10:00:00Z"], "end": ["2024-01-01T10:05:00Z"],
                         "benefits/rel_1": [4], "_uuid": ["u1"], "_id": [17]})
    out = map_platform_columns(kobo, "xlsform", INS)
    assert out["resp_id"].tolist() == ["u1"] and out["rel_1"].tolist() == [4]
    assert out["duration_sec"].tolist() == [300.0]
    lime = pd.DataFrame({"id": [1], "ipaddr": ["1.1.1.1"], "interviewtime": [99.5],
                         "REL[1]": [3], "submitdate": ["x"]})
    out = map_platform_columns(lime, "limesurvey", INS)
    assert set(out.columns) == {"resp_id", "duration_sec", "rel_1"}
    with pytest.raises(InputError, match="platform"):
        map_platform_columns(lime, "surveymonkey", INS)


_cell = st.one_of(st.none(), st.integers(-5, 200).map(str),
                  st.floats(0, 100, allow_nan=False).map(lambda f: f"{f:.2f}"),
                  st.text(alphabet=string.ascii_letters + "éüßø -'", min_size=1, max_size=8)
                  .map(str.strip).filter(bool))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=15),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
       delim=st.sampled_from([",", ";", "\t", "|"]))
def test_property_csv_reads_every_row(tmp_path_factory, rows, encoding, delim):
    """Random encodings, delimiters and junk: no row lost, no exception but DataFileError."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator="\n")
    w.writerow(["resp_id", "rel_1", "note"])
    for i, r in enumerate(rows):
        w.writerow([f"id{i}", *["" if v is None else v for v in r[:2]]])
    path = tmp_path_factory.mktemp("p") / "raw.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    df = read_table(path)
    assert len(df) == len(rows)
    assert df["resp_id"].tolist() == [f"id{i}" for i in range(len(rows))]
