"""The report's costly figures drawn in forked workers give the same bytes as in one process.

:func:`rsnprop.report.build.write_report_result` hands the specification curves and the
sections with figures to ``map_fn`` (such as :func:`rsnprop.measure.forked.fork_map`,
:func:`rsnprop.report.sections.build_sections`) or to ``imap_fn`` (``rsnprop report`` passes
:func:`rsnprop.forkmap.fork_imap`), which lets the report's own process make the tables' files
while the workers still draw the curves.
"""

from __future__ import annotations

from pathlib import Path

from rsnprop.measure.forked import fork_map
from rsnprop.report.build import write_report_result
from rsnprop.report.inputs import load_results
from rsnprop.report.sections import build_sections

PIPELINE = Path(__file__).resolve().parent / "data" / "report" / "pipeline"


def test_workers_give_the_same_report(tmp_path):
    outputs = {}
    for name, map_fn in (("serial", None), ("forked", lambda f, t: fork_map(f, t, jobs=2))):
        out = tmp_path / name / "report.html"
        res = write_report_result(PIPELINE, out, map_fn=map_fn)
        outputs[name] = (out.read_bytes(), res.n_figures,
                         sorted(p.name for p in (out.parent / "tables").iterdir()))
    assert outputs["forked"] == outputs["serial"]
    assert outputs["serial"][1] >= 5   # the specification curves are among them


def test_sections_keep_their_order_and_use_the_map(tmp_path):
    inputs = load_results(PIPELINE)
    calls = []

    def recording_map(fn, tasks):
        calls.append(len(tasks))
        return [fn(t) for t in tasks]

    ids = [s.id for s in build_sections(inputs, map_fn=recording_map)]
    assert ids == [s.id for s in build_sections(inputs)]
    assert ids.index("multiverse") == ids.index("propositions") + 1
    assert calls and calls[0] >= 3 + 5   # three specification curves and five sections


def test_overlapped_workers_give_the_same_report(tmp_path):
    """``imap_fn`` (``rsnprop report``'s path: fork_imap, the tables made while the curves are
    drawn) writes the bytes of the serial path, the tables folder included."""
    from rsnprop.forkmap import fork_imap

    outputs = {}
    for name, kw in (("serial", {}), ("imap3", {"imap_fn": lambda f, t: fork_imap(f, t, jobs=3)}),
                     ("imap1", {"imap_fn": lambda f, t: fork_imap(f, t, jobs=1)})):
        out = tmp_path / name / "report.html"
        res = write_report_result(PIPELINE, out, **kw)
        tables = out.parent / "tables"
        outputs[name] = (out.read_bytes(), res.n_figures, res.tables and len(res.tables),
                         {p.name: p.read_bytes() for p in sorted(tables.iterdir())})
    assert outputs["imap3"] == outputs["serial"] == outputs["imap1"]


def test_tables_are_made_before_the_curves_are_done(tmp_path, monkeypatch):
    from rsnprop.report import build

    seen, planned_at = [], []
    real = build.plan_tables

    def recording_plan(tables, directory):
        planned_at.append(list(seen))
        return real(tables, directory)

    def imap_in_order(fn, tasks):
        for i, t in enumerate(tasks):
            seen.append(getattr(t[0], "__name__", ""))
            yield i, fn(t)

    monkeypatch.setattr(build, "plan_tables", recording_plan)
    write_report_result(PIPELINE, tmp_path / "report.html", imap_fn=imap_in_order)
    assert len(planned_at) == 1
    assert "curve_figure" not in planned_at[0] and len(planned_at[0]) == 5
    assert seen.count("curve_figure") >= 3


def test_a_file_in_the_way_stops_the_overlapped_report(tmp_path):
    import pytest

    from rsnprop.errors import InputError
    from rsnprop.forkmap import fork_imap

    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "tables.docx").write_text("mine\n")
    closed = []

    def imap(fn, tasks):
        try:
            yield from fork_imap(fn, tasks, jobs=2)
        finally:
            closed.append(True)

    with pytest.raises(InputError, match="tables.docx"):
        write_report_result(PIPELINE, tmp_path / "report.html", imap_fn=imap)
    assert closed == [True] and not (tmp_path / "report.html").exists()
