"""Property tests of the platform code translations (LimeSurvey codes) and of the hash."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rsnprop.instrument.exporters.codes import (limesurvey_answer_code, limesurvey_code,
                                             limesurvey_subquestion_code)
from rsnprop.instrument.hashing import canonical_json, content_hash

item_ids = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
codes = st.one_of(st.integers(-5, 10_000), st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True))


@given(item_ids)
def test_question_codes_are_limesurvey_valid(item_id):
    code = limesurvey_code(item_id)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", code)
    assert code.startswith(item_id[0])  # ids start with a letter; underscores are dropped


@given(codes, st.integers(0, 50))
def test_answer_and_subquestion_codes_are_valid(code, position):
    a = limesurvey_answer_code(code, position)
    assert re.fullmatch(r"[A-Za-z0-9]{1,5}", a)
    sq = limesurvey_subquestion_code(code, position)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,19}", sq)


@settings(max_examples=50)
@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=5), max_size=6))
def test_hash_ignores_key_order(d):
    reordered = dict(reversed(list(d.items())))
    assert canonical_json(d) == canonical_json(reordered)
    assert content_hash(d) == content_hash(reordered)
