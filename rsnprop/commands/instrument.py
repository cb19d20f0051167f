"""``rsnprop instrument validate|export|show PATH``: check, export and summarise an instrument.

* ``validate PATH`` lists **every** problem (YAML path and reason) and exits 2 when there is
  any; exits 0 and prints name, version and hash otherwise.
* ``export PATH --format F -o OUT`` writes an XLSForm (.xlsx), a LimeSurvey TSV (.txt), a
  Qualtrics Survey Format file (``qsf``: questions, survey flow with the screen-outs, display
  logic) or Advanced-Format TXT (``qualtrics``), a codebook (Markdown or HTML) or a printable
  questionnaire (HTML, ``--lang``); an output name without extension gets the format's
  (``.xlsx``...); ``--fielding`` refuses (exit 2) while a data-protection field is empty.
* ``show PATH`` prints constructs, item counts and languages (``--json``: name, version,
  hash, languages, n_items, constructs{id: {label, items}}).

Imports nothing heavy at module level.
"""

from __future__ import annotations

NAME = "instrument"
HELP = "validate, export (XLSForm, LimeSurvey, Qualtrics QSF/TXT, codebook) or show a survey instrument"

_FORMATS = ("xlsform", "limesurvey", "qualtrics", "qsf", "codebook", "codebook-md", "codebook-html",
            "questionnaire")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                parser_class=type(parser))
    p = sub.add_parser("validate", help="check schema and semantics; list every problem (exit 2 if any)")
    p.add_argument("path", help="instrument YAML")
    p = sub.add_parser("export", help="write the questionnaire for a survey platform, or its codebook")
    p.add_argument("path", help="instrument YAML")
    p.add_argument("--format", "-f", required=True, choices=_FORMATS, help="output format")
    p.add_argument("-o", "--output", required=True, help="output file")
    p.add_argument("--lang", help="language of a printable questionnaire / codebook (default: the instrument's default)")
    p.add_argument("--fielding", action="store_true",
                   help="an export meant for respondents: refuse while a study-specific field "
                        "(GDPR/RGPD data protection: controller, purpose, ...) is empty")
    p.add_argument("--end-url", help="limesurvey: page (study site, panel) respondents are sent "
                                     "to at the end, with status=complete or the screen-out id")
    p = sub.add_parser("show", help="summary: constructs, item counts, languages")
    p.add_argument("path", help="instrument YAML")


class _Show:
    """Result of ``show`` (dict for --json, readable text otherwise)."""

    def __init__(self, ins):
        self.ins = ins

    def to_dict(self) -> dict:
        ins = self.ins
        return {
            "name": ins.name, "version": ins.version, "hash": ins.hash,
            "languages": list(ins.languages), "n_items": len(ins.items),
            "constructs": {cid: {"label": c.label, "items": list(c.items)}
                           for cid, c in ins.constructs.items()},
        }

    def summary(self) -> str:
        ins = self.ins
        roles: dict[str, int] = {}
        for it in ins.items.values():
            roles[it.role] = roles.get(it.role, 0) + 1
        lines = [f"{ins.name} {ins.version}  (hash {ins.hash[:16]}...)",
                 f"languages: {', '.join(ins.languages)} (default {ins.default_language})",
                 f"items: {len(ins.items)} in {len(ins.sections)} sections; "
                 + ", ".join(f"{k} {v}" for k, v in sorted(roles.items())),
                 "", "constructs:"]
        width = max(len(c) for c in ins.constructs) if ins.constructs else 0
        for cid, c in ins.constructs.items():
            rev = f"; reverse: {', '.join(c.reverse_items)}" if c.reverse_items else ""
            lines.append(f"  {cid:<{width}}  {len(c.items):>2} items  {c.label}")
            lines.append(f"  {'':<{width}}  {', '.join(c.items)}{rev}")
        att = ", ".join(f"{k} (expects {v})" for k, v in ins.attention_checks.items())
        lines += ["", f"attention checks: {att or 'none'}"]
        return "\n".join(lines)


class _Exported:
    def __init__(self, info: dict):
        self.info = info

    def to_dict(self) -> dict:
        return self.info

    def summary(self) -> str:
        i = self.info
        return (f"wrote {i['output']} ({i['format']}, {i['bytes']} bytes) from "
                f"{i['instrument']['name']} {i['instrument']['version']} ({i['instrument']['hash'][:12]})")


def run(args):
    from ._common import existing_file

    path = existing_file(args.path, "instrument file")
    if args.action == "export":
        from ._common import check_files

        check_files({"PATH": args.path}, {"--output": args.output})
    if args.action == "validate":
        from ..instrument.validate import validate_instrument

        report = validate_instrument(path)
        report.raise_if_invalid()
        return report
    from ..instrument import load_instrument

    ins = load_instrument(path)
    if args.action == "show":
        return _Show(ins)
    from ..errors import InputError
    from ..instrument import export
    from ..io import atomic_write

    if args.lang and args.lang not in ins.languages:
        raise InputError(f"language not in the instrument {ins.languages}", parameter="--lang", value=args.lang)
    if getattr(args, "fielding", False):
        from ..instrument.validate import fielding_problems

        problems = fielding_problems(ins)
        if problems:
            raise InputError(f"not ready for fielding: {problems[0]}"
                             + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                             file=path, parameter="--fielding")
    options = {"lang": args.lang} if args.lang else {}
    fmt = args.format
    if getattr(args, "end_url", None):
        if fmt != "limesurvey":
            raise InputError("--end-url applies to --format limesurvey", parameter="--end-url",
                             value=args.end_url)
        options["end_url"] = args.end_url
    if fmt == "codebook" and str(args.output).lower().endswith((".html", ".htm")):
        fmt = "codebook-html"  # the output name asks for HTML
    output = output_path(args.output, fmt)
    data = export(ins, fmt, **options)
    atomic_write(output, data)
    size = len(data if isinstance(data, bytes) else data.encode("utf-8"))
    return _Exported({"output": output, "format": fmt, "bytes": size,
                      "instrument": ins.provenance()})


def output_path(output, fmt: str) -> str:
    """``output`` with the format's suffix added when it has none (``form`` -> ``form.xlsx``).

    >>> output_path("build/out_xlsform", "xlsform"), output_path("cb.html", "codebook-html")
    ('build/out_xlsform.xlsx', 'cb.html')
    """
    import os

    from ..instrument.exporters import FORMATS

    text = str(output)
    if os.path.splitext(os.path.basename(text))[1]:
        return text
    return text + FORMATS[fmt][1]
