"""`make docs` builds the manual: MkDocs renders every docs/*.md page and the API reference
(docstrings read statically by mkdocstrings) into HTML; a page added to docs/ appears without
editing mkdocs.yml.  Warnings about docstrings do not fail the build; a broken configuration,
an unknown module in a reference page or a page that does not render does.
"""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def test_manual_builds_with_every_page_and_the_api_reference(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "-f",
                           str(REPO / "mkdocs.yml"), "-d", str(site)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pages = sorted(p.relative_to(REPO / "docs") for p in (REPO / "docs").rglob("*.md"))
    assert len(pages) >= 10
    for page in pages:
        html = site / page.with_suffix(".html")
        assert html.is_file(), f"{page} is not in the manual"
    index = (site / "index.html").read_text(encoding="utf-8")
    for page in pages:  # the navigation lists every page (no hand-kept list)
        assert str(page.with_suffix(".html")) in index, page
    # one reference page per stage, each rendering its package's docstrings
    for page, objects in {"instrument": ["rsnprop.instrument.load_instrument"],
                          "cleaning": ["rsnprop.data.pipeline.clean"],
                          "measurement": ["rsnprop.measure.pipeline"],
                          "sem": ["rsnprop.sem.fit", "rsnprop.sem.SEMResult"],
                          "propositions": ["rsnprop.propositions.test_propositions"],
                          "power": ["rsnprop.simulate", "rsnprop.power"],
                          "report": ["rsnprop.report"],
                          "core": ["rsnprop.schemas.load_result", "rsnprop.errors.RsnpropError"]
                          }.items():
        html = (site / "reference" / f"{page}.html").read_text(encoding="utf-8")
        ids = set(re.findall(r'id="(rsnprop[\w.]*)"', html))
        for obj in objects:
            assert obj in ids, (page, obj)
    schemas = (site / "schemas.html").read_text(encoding="utf-8")
    assert "rsnprop.propositions/1" in schemas and "<table>" in schemas
