"""``rsnprop init DIR``: start a study folder of one's own (instrument, plan, model, Makefile)."""

from __future__ import annotations

NAME = "init"
HELP = "start a new study folder (instrument, study plan, model, Makefile, README)"
DESCRIPTION = (
    "Create DIR with a copy of the validated instrument to adapt (instrument.yaml), the study "
    "plan to preregister (study.yaml, commented), the measurement model (benefits.lav), a "
    "Makefile with the pipeline's steps (cleaning, measure, invariance, test, report, power, "
    "clean), a README saying what to edit and in which order, and a read-only data/raw/ folder "
    "for the survey export. With --example, data/raw/ also gets the SIMULATED example export, "
    "so that `make` in DIR builds reports/report.html at once. DIR must be missing or empty "
    "(exit 2 otherwise) unless --force, which overwrites the study's files of the same name."
)


def add_arguments(parser) -> None:
    parser.add_argument("directory", metavar="DIR", help="the new study folder")
    parser.add_argument("--example", action="store_true",
                        help="also put the SIMULATED example export in DIR/data/raw/")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty folder, overwriting files of the same name")


def run(args):
    import os
    from pathlib import Path

    from ..errors import InputError
    from ..io import atomic_write
    from ..scaffold import EXAMPLE_RAW, EXAMPLE_RAW_W2, InitResult, study_files

    root = Path(args.directory)
    if root.exists() and not root.is_dir():
        raise InputError("exists and is not a folder", file=str(root))
    if root.is_dir() and any(root.iterdir()) and not args.force:
        raise InputError("the folder is not empty: choose a new folder, or give --force to "
                         "write the study's files there (overwriting files of the same name)",
                         file=str(root))
    written, overwritten = [], []
    for rel, content in study_files(root.resolve().name, example=args.example).items():
        target = root / rel
        if target.exists():
            overwritten.append(rel)
            os.chmod(target, 0o644)  # the example export is read-only
        atomic_write(target, content)
        written.append(rel)
    if args.example:
        for raw in (EXAMPLE_RAW, EXAMPLE_RAW_W2):
            os.chmod(root / raw, 0o444)  # data/raw is only ever read
    return InitResult(str(root), written, args.example, overwritten)
