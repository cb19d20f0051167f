"""``rsnprop.measure._matrix.single_threaded`` limits BLAS once per outermost call (issue 21,
the study rebuild: ``rsnprop measure`` nests some 45 such calls, each limit a scan of the
loaded libraries); nested calls run within the outer limit."""

from __future__ import annotations

import contextlib

import pytest
import threadpoolctl

from rsnprop.measure import _matrix


def _counting(monkeypatch):
    made = []

    @contextlib.contextmanager
    def limits(**kwargs):
        made.append(kwargs)
        yield

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", limits)
    return made


def test_nested_calls_limit_blas_once(monkeypatch):
    made = _counting(monkeypatch)

    @_matrix.single_threaded
    def inner(x):
        return x + 1

    @_matrix.single_threaded
    def outer(x):
        return inner(inner(x))

    assert outer(1) == 3
    assert made == [{"limits": 1, "user_api": "blas"}]
    assert inner(1) == 2 and len(made) == 2          # alone, it limits BLAS itself


def test_the_limit_ends_with_the_outer_call_even_on_error(monkeypatch):
    made = _counting(monkeypatch)

    @_matrix.single_threaded
    def fails():
        raise ValueError("no")

    with pytest.raises(ValueError):
        fails()
    assert not getattr(_matrix._LIMITED, "on", False)

    @_matrix.single_threaded
    def ok():
        return 1

    assert ok() == 1 and len(made) == 2


def test_blas_has_one_thread_within_nested_calls():
    @_matrix.single_threaded
    def inner():
        return {i["internal_api"]: i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"}

    @_matrix.single_threaded
    def outer():
        return inner()

    assert all(n == 1 for n in outer().values())
