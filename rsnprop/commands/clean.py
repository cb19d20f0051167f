"""``rsnprop clean RAW --instrument PATH -o CLEAN [--log LOG.json]``: validate, recode, screen
and classify a raw survey export.

Writes the clean data (``.parquet``, or ``.csv``) and the cleaning log (JSON) atomically; the raw
file is only read. Cheap imports only at top level.
"""

from __future__ import annotations

NAME = "clean"
HELP = "validate, recode and screen a raw survey export -> clean data + cleaning log"
DESCRIPTION = (
    "Read a raw survey export (csv in any common encoding/delimiter, xlsx, sav, parquet, or a "
    "platform export with --platform), validate it against the instrument, recode, screen "
    "(consent, duplicates, EU SME eligibility, careless responding, missingness), classify "
    "born globals under several definitions and write the clean data and the cleaning log. "
    "Thresholds come from the study plan's 'cleaning:' section (--plan)."
)


def add_arguments(parser) -> None:
    parser.add_argument("raw", metavar="RAW", help="raw export (.csv .xlsx .sav .parquet)")
    parser.add_argument("--instrument", required=True, metavar="PATH",
                        help="instrument YAML (item ids, scales, reverse keys)")
    parser.add_argument("--plan", metavar="PLAN",
                        help="study plan YAML whose 'cleaning:' section sets the rules")
    parser.add_argument("--platform", choices=["generic", "xlsform", "limesurvey", "qualtrics"],
                        default=None, help="survey platform that produced RAW (default generic)")
    parser.add_argument("-o", "--output", required=True, metavar="CLEAN",
                        help="clean data file (.parquet or .csv)")
    parser.add_argument("--log", metavar="LOG.json", help="cleaning log (JSON)")
    parser.add_argument("--flags", metavar="FLAGS",
                        help="per-row screening table (.parquet or .csv): every careless index "
                             "and flag, eligibility criteria, kept or not, for every input row")
    parser.add_argument("--missing-tokens", metavar="TOKENS", default=None,
                        help="comma-separated cell texts read as missing in RAW (default "
                             "NA,N/A,n/a,NaN,nan,#N/A,NULL; '' for none); the cleaning log counts "
                             "the cells of each (read.missing_tokens)")


def _rules_from_plan(path):
    """The plan's ``cleaning:`` section (via rsnprop.propositions.load_plan when available)."""
    from ..errors import PlanError

    try:
        from ..propositions import load_plan
    except ImportError:
        load_plan = None
    if load_plan is not None:
        return dict(load_plan(path).cleaning or {})
    from ..yamlio import load_yaml

    doc = load_yaml(path, what="study plan", error=PlanError) or {}
    if not isinstance(doc, dict):
        raise PlanError("a study plan must be a mapping", file=path)
    return dict(doc.get("cleaning") or {})


def clean_data_bytes(data, path, option="--output") -> bytes:
    """The clean data as file bytes: Parquet (default) or CSV by the file suffix.  CSV cells
    that a spreadsheet would run as a formula are neutralised (:func:`rsnprop.io.csv_safe`)."""
    from ..io import csv_safe

    suffix = _check_suffix(path, option)
    if suffix in (".parquet", ".pq"):
        # an Arrow sink, not io.BytesIO: the writer then never takes the GIL back to write
        # (with a Python file object it does for every page, and runs at the pace of
        # whatever Python code holds the GIL beside it); the same bytes
        import pyarrow as pa

        out = None
        if len(data) >= OUTPUT_THREAD_MIN_ROWS:   # the same bytes, written on two cores
            from ._parquet import parquet_bytes_two_cores

            out = parquet_bytes_two_cores(data, compression="snappy")
        if out is None:
            sink = pa.BufferOutputStream()
            data.to_parquet(sink, index=False, engine="pyarrow", compression="snappy")
            out = sink.getvalue().to_pybytes()
            del sink
        pa.default_memory_pool().release_unused()   # the writer's pages, kept by its pool
        return out
    return csv_safe(data).to_csv(index=False, lineterminator="\n").encode("utf-8")


def _tokens(text) -> dict:
    """``--missing-tokens`` as keyword arguments of read_table (none: its default)."""
    if text is None:
        return {}
    return {"missing_tokens": tuple(t.strip() for t in text.split(",") if t.strip())}


def _check_suffix(path, option) -> str:
    from pathlib import Path

    from ..errors import InputError

    suffix = Path(path).suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise InputError("must end in .parquet or .csv", file=path, parameter=option)
    return suffix


def write_clean_data(data, path) -> None:
    """Write the clean data atomically: Parquet (default) or CSV by the file suffix."""
    from ..io import atomic_write

    atomic_write(path, clean_data_bytes(data, path))


#: from this many kept rows on, the Parquet bytes are made in a second thread (below it a
#: thread costs more than it saves)
OUTPUT_THREAD_MIN_ROWS = 20_000


class _DataBytes:
    """The clean data's file bytes, started as soon as :func:`rsnprop.data.clean` hands over
    the data (its ``on_data``): for a large Parquet output in a second thread, beside the
    building of the log and its JSON (pyarrow releases the GIL while it encodes; the log is
    pure Python), and written there to its temporary file (:func:`rsnprop.io.write_temp`,
    renamed with the log's by ``atomic_write_many``); otherwise made when asked. The same
    calls either way: the same bytes."""

    def __init__(self, path, pool):
        self.path, self.pool, self.future = path, pool, None

    def __call__(self, data):
        if len(data) >= OUTPUT_THREAD_MIN_ROWS and _check_suffix(self.path, "--output") != ".csv":
            release_free_memory()   # the cleaning steps' freed arrays, before the log is built
            # a shallow copy: nothing done to the result's frame can reach the writer's
            self.future = self.pool.submit(_data_temp_file, data.copy(deep=False), self.path)

    def result(self, data):
        """The bytes, or the :class:`rsnprop.io.TempFile` they were written to."""
        return self.future.result() if self.future is not None else clean_data_bytes(data, self.path)

    def discard(self) -> None:
        """Remove the temporary file written (a command that failed after the data)."""
        if self.future is not None and self.future.done() and self.future.exception() is None:
            self.future.result().discard()


def _data_temp_file(data, path):
    from ..io import write_temp

    return write_temp(path, clean_data_bytes(data, path))


def release_free_memory() -> None:
    """Give the memory that the C allocator holds free back to the system (glibc's
    ``malloc_trim``; nothing elsewhere). The cleaning steps free many arrays of a few
    megabytes, which glibc keeps in its heap for reuse: at a million rows 270-350 MB stayed
    resident, unused, while the log's JSON and the files' bytes were made on top of them.
    Costs 5-15 ms; changes no result."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError, TypeError):   # not glibc (TypeError: Windows)
        pass


def _arrow_threads_for_every_core() -> None:
    """Size pyarrow's CPU thread pool by the cores this process may use. The command line
    sets ``OMP_NUM_THREADS`` to ``RSNPROP_BLAS_THREADS`` (1) for deterministic BLAS sums
    (:func:`rsnprop.cli.pin_blas_threads`), and pyarrow reads that variable too: its CSV
    parser and its pandas conversion then ran on one core (4.6 s instead of 2.8 s for the
    million-row read). Their results do not depend on the number of threads."""
    import os

    import pyarrow as pa

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not Linux
        cores = os.cpu_count() or 1
    if pa.cpu_count() < cores:
        pa.set_cpu_count(cores)


def _arrow_pages_back_at_once() -> None:
    """Ask pyarrow's allocator (mimalloc) to give freed pages back to the system at once
    instead of after a delay: the CSV parse frees its text columns one by one while the float
    block is filled, and with the delay the read of a million rows peaked at 1.42-1.73 GB
    resident instead of 1.26 GB (same CPU time). mimalloc reads its options when pyarrow is
    loaded, so this acts only before that (as under ``rsnprop clean``; a caller's own setting
    is kept)."""
    import os
    import sys

    if "pyarrow" not in sys.modules:
        os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")


def _start_thread(target):
    import threading

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def run(args):
    import gc

    # no cyclic garbage collection while the command runs: its passes over the log's
    # hundreds of thousands of objects find nothing to free (memory is freed by reference
    # counts); see _after_large
    enabled = gc.isenabled()
    gc.disable()
    result = None
    try:
        result = _run(args)
        # its files written and closed, its threads joined: the command line may end without
        # the interpreter's teardown (rsnprop.cli._exit_at_once; freeing a million-row
        # clean's frames and log object by object took 0.3-0.4 s of wall after the summary)
        args.exit_at_once = True
        return result
    finally:
        _after_large(result, enabled)


def _after_large(result, enabled) -> None:
    """After a large clean (from ``OUTPUT_THREAD_MIN_ROWS`` rows), freeze the objects alive
    (the result's log and frames): the collections after the command, and the one at exit,
    no longer walk them. Then the collector runs again as it did."""
    import gc

    data = getattr(result, "data", None)
    if data is not None and len(data) >= OUTPUT_THREAD_MIN_ROWS:
        gc.freeze()
    if enabled:
        gc.enable()


def _run(args):
    _arrow_pages_back_at_once()

    from ._common import check_files, existing_file

    raw_path = existing_file(args.raw, "raw data file")
    ins_path = existing_file(args.instrument, "instrument")
    check_files({"RAW": args.raw, "--instrument": args.instrument, "--plan": args.plan},
                {"--output": args.output, "--log": args.log, "--flags": args.flags})
    _check_suffix(args.output, "--output")
    if args.flags:
        _check_suffix(args.flags, "--flags")
    _arrow_threads_for_every_core()
    # a big CSV export parsed by pyarrow in a thread (both cores, without the GIL) while
    # this one imports the cleaning modules and loads the instrument (about a second on one
    # core); read_table takes the parsed table (the same call, the same table)
    from ..io_csv import drop_parse, start_parse

    # not for YAML files that do not parse: their error comes before the read (at once)
    started = _yaml_parses(ins_path, args.plan) and start_parse(
        raw_path, min_bytes=_CSV_ARROW_MIN_BYTES, block_bytes=_CSV_BLOCK_BYTES)
    try:
        rules = _rules_from_plan(existing_file(args.plan, "study plan")) if args.plan else None
        return _clean_and_write(args, raw_path, ins_path, rules)
    finally:
        if started:
            drop_parse(raw_path)      # not taken (an error before the read): forgotten


def _yaml_parses(*paths) -> bool:
    """True when every file of ``paths`` (None: none) is UTF-8 text that parses as YAML
    (composed only, about 8 ms for the instrument: the loaders that follow say what is
    wrong, with the file, line and column)."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in paths:
        if path is None:
            continue
        try:
            with open(path, "rb") as fh:
                loader = loader_class(fh.read().decode("utf-8-sig"))
            try:
                loader.get_single_node()
            finally:
                loader.dispose()
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            return False
    return True


#: read_csv's sizes (rsnprop.data.read_csv._ARROW_MIN_BYTES, _BLOCK_BYTES), given to the early
#: parse without importing rsnprop.data first; a parse made with other sizes is not taken
_CSV_ARROW_MIN_BYTES = 1 << 20
_CSV_BLOCK_BYTES = 1 << 20


def _clean_and_write(args, raw_path, ins_path, rules):
    import warnings

    from ..instrument import load_instrument

    instrument = load_instrument(ins_path)   # its errors before the cleaning modules' imports
    from ..data import read_table
    from ..errors import DataQualityWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)  # about the file itself
        raws = [read_table(raw_path, platform=args.platform, instrument=instrument,
                           **_tokens(getattr(args, "missing_tokens", None)))]
    read_warnings = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:   # no thread until something is submitted
        data_bytes = _DataBytes(args.output, pool)
        try:
            return _clean_then_write(args, raws, instrument, rules, raw_path, read_warnings,
                                     data_bytes)
        except BaseException:
            pool.shutdown(wait=True)     # the data's temporary file, if written, then removed
            data_bytes.discard()
            raise


def _clean_then_write(args, raws, instrument, rules, raw_path, read_warnings, data_bytes):
    import warnings

    from ..data import clean
    from ..io import atomic_write_many, json_text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every warning is in the log and the summary
        # popped into the call: clean() frees the raw frame once validated (peak memory)
        result = clean(raws.pop(), instrument, rules, source=raw_path, on_data=data_bytes)
    if read_warnings:  # printed with the summary and kept in the log
        result.log["warnings"] = read_warnings + list(result.log.get("warnings") or [])
    if args.plan and isinstance(result.log, dict):
        # the report refuses results made with different plans (rsnprop.report.inputs.check_plans)
        from ..propositions import load_plan

        result.log["plan_hash"] = load_plan(args.plan).hash
    # the clean data, its log and the flags belong together: all replaced, or none
    if not args.flags:   # the per-row tables are not written: freed first (peak memory)
        result.flags = result.problems = None
    # the freed memory back to the system beside the JSON (malloc_trim releases the GIL)
    trim = _start_thread(release_free_memory)
    # = rsnprop.results.dumps(result.log), byte for byte
    text = json_text(result.log) + "\n" if args.log else None
    trim.join()
    files = {args.output: data_bytes.result(result.data)}
    if text is not None:
        files[args.log] = text
    del text
    if args.flags:
        files[args.flags] = clean_data_bytes(result.flags, args.flags, "--flags")
    atomic_write_many(files)
    return result
