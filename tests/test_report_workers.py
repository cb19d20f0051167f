"""The report's costly figures drawn in forked workers give the same bytes as in one process.

``rsnprop report`` passes :func:`rsnprop.measure.forked.fork_map` to
:func:`rsnprop.report.build.write_report_result`, which hands the specification curves and the
sections with figures to it (:func:`rsnprop.report.sections.build_sections`).
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
