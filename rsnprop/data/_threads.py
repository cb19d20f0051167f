"""Run BLAS single-threaded inside rsnprop.data (deterministic sums, and multi-threaded BLAS on
a loaded 2-core machine is far slower for the small matrix products used here)."""

from __future__ import annotations

import sys

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

# threadpoolctl finds the BLAS libraries by walking every loaded shared object and reading
# their files (about 3 ms, more than cleaning 300 rows takes elsewhere in that step); the
# controller is kept and rebuilt only after new modules were imported (which may load
# another BLAS), so every BLAS loaded is still limited.
_CONTROLLER: list = [None, -1]


def _controller():
    if _CONTROLLER[0] is None or _CONTROLLER[1] != len(sys.modules):
        _CONTROLLER[0] = ThreadpoolController()
        _CONTROLLER[1] = len(sys.modules)
    return _CONTROLLER[0]


class one_blas_thread:
    """Context manager limiting BLAS to one thread (no-op without threadpoolctl)."""

    def __enter__(self):
        try:
            ctl = _controller()
        except ImportError:  # pragma: no cover - optional dependency
            self._ctx = None
            return self
        self._ctx = ctl.limit(limits=1, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
        return False
