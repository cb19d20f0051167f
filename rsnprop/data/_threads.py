"""Run BLAS single-threaded inside rsnprop.data (deterministic sums, and multi-threaded BLAS on
a loaded 2-core machine is far slower for the small matrix products used here)."""

from __future__ import annotations

__all__ = ["one_blas_thread"]


class one_blas_thread:
    """Context manager limiting BLAS to one thread (no-op without threadpoolctl)."""

    def __enter__(self):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - optional dependency
            self._ctx = None
            return self
        self._ctx = threadpool_limits(limits=1, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
        return False
