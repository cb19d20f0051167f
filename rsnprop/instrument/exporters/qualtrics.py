"""Qualtrics Advanced-Format TXT (``Survey > Tools > Import/Export > Import survey``).

Follows Qualtrics' documented Advanced Format: the file starts with ``[[AdvancedFormat]]``;
``[[Block:name]]`` starts a block; each question starts with ``[[Question:TYPE]]``, has an
``[[ID:...]]`` line (the question's data export tag: the item id, so the CSV export columns
are the item ids), its text, then ``[[Choices]]``/``[[AdvancedChoices]]`` with one choice
per line; ``[[PageBreak]]`` separates pages.  Types used:

* runs of Likert items sharing a scale within a block -> one ``[[Question:Matrix]]`` per run
  (statements = the items, ``[[Answers]]`` = the scale points in order, so the recorded
  value of answer k is k; export columns ``<section>_matrix<k>_<n>``, mapped back by
  :func:`rsnprop.instrument.column_map`);
* other likert and select_one -> ``[[Question:MC:SingleAnswer:Vertical]]`` with
  ``[[AdvancedChoices]]`` and ``[[Choice:<code>]]`` so that recorded values are our numeric
  codes (string codes such as NACE letters are recorded as positions 1..n; see
  :func:`rsnprop.instrument.value_map`);
* select_multiple -> ``[[Question:MC:MultipleAnswer:Vertical]]`` (split export columns
  ``<id>_<n>``);
* integer/decimal/text -> ``[[Question:TE:SingleLine]]``;
* the constant-sum group -> ``[[Question:ConstantSum]]`` with the parts as choices;
* section introductions -> ``[[Question:DB]]`` (descriptive text).

The Advanced Format cannot carry display logic, validation ranges or translations: this
exporter writes one file per language (``lang=``) and lists the display logic, validation
ranges and forced responses in a "Setup notes" descriptive block at the top (add them in the
survey editor, then delete the block); the codebook lists them too.  Routing (screen-outs
with their polite end-of-survey messages, the "none" skip) is listed there as survey-flow
branch logic.  A descriptive text before consent carries the GDPR/RGPD information.  An embedded-data line ``[[ED:instrument_hash:...]]``
records the instrument's name, version and hash in every response.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.exporters.qualtrics import export
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> export(ins).splitlines()[0]
'[[AdvancedFormat]]'
"""

from __future__ import annotations

__all__ = ["export", "display_logic_text", "matrix_groups", "matrix_columns"]

from ..gdpr import data_protection_lines  # noqa: E402

_OPS = {"eq": "=", "ne": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def display_logic_text(conditions, ins, lang: str) -> str:
    """Human-readable display logic (``phase ≥ 2 AND rsn_platforms includes "LinkedIn"``)."""
    parts = []
    for c in conditions:
        item = ins.items[c.item]
        if c.op in ("selected", "not_selected"):
            label = item.choice_labels.get(c.value, {}).get(lang, c.value)
            verb = "includes" if c.op == "selected" else "does not include"
            parts.append(f'{c.item} {verb} "{label}"')
        elif c.op == "answered":
            parts.append(f"{c.item} is answered")
        else:
            shown = c.value
            if item.choice_labels and c.value in item.choice_labels:
                shown = f'{c.value} "{item.choice_labels[c.value].get(lang, c.value)}"'
            parts.append(f"{c.item} {_OPS[c.op]} {shown}")
    return " AND ".join(parts)


def matrix_groups(ins, sec) -> list:
    """Runs of Likert items of section ``sec`` sharing one scale and the same display logic
    (at least two): each becomes one matrix question (statements = the items)."""
    groups: list = []
    for iid in sec.items:
        item = ins.items[iid]
        if item.type != "likert":
            continue
        key = (item.scale.name, item.scale.min, item.scale.max, item.show_if, item.routed_by)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(item)
        else:
            groups.append((key, [item]))
    return [g for _, g in groups if len(g) >= 2]


def matrix_columns(ins) -> dict:
    """Response-export column of each matrix statement: ``<section>_matrix<k>_<n>`` -> item id."""
    out = {}
    for sec in ins.sections:
        for k, group in enumerate(matrix_groups(ins, sec), start=1):
            for n, item in enumerate(group, start=1):
                out[f"{sec.id}_matrix{k}_{n}"] = item.id
    return out


def _routing_notes(ins, lang: str) -> list:
    """Survey-flow instructions (branch logic) for the routing rules of ``ins``."""
    notes = []
    for rule in ins.routing:
        cond = display_logic_text(rule.conditions, ins, lang)
        trigger = ins.items[rule.trigger]
        block = next(s for s in ins.sections if s.id == trigger.section)
        if rule.action == "end":
            notes.append(f"Survey flow: after block '{block.id}', add a Branch 'If {cond}' containing "
                         f"an End of Survey element with a custom message (screen-out '{rule.id}'): "
                         f"{_clean(rule.message.get(lang) or rule.message.get(ins.default_language, ''))} "
                         f"Questions after {rule.trigger} in block '{block.id}': display logic NOT ({cond}).")
        else:
            notes.append(f"Skip '{rule.id}': questions after {rule.trigger} in block '{block.id}' and "
                         f"the blocks {', '.join(repr(b) for b in rule.skip)}: display only if NOT ({cond}) "
                         "(or a Branch in the survey flow around those blocks).")
    for item in ins.items.values():
        for code in item.exclusive:
            label = item.choice_labels[code].get(lang, code)
            notes.append(f'Question {item.id}: make "{label}" exclusive (Answer choice > Allow exclusive answer).')
    return notes


def export(ins, *, lang: str | None = None) -> str:
    """Advanced-Format TXT for ``ins`` in language ``lang`` (default language if omitted)."""
    lang = lang or ins.default_language

    def pick(text):
        if not text:
            return ""
        return _clean(text.get(lang) or text.get(ins.default_language) or "")

    out = ["[[AdvancedFormat]]", "",
           f"[[ED:instrument_name:{ins.name}]]",
           f"[[ED:instrument_version:{ins.version}]]",
           f"[[ED:instrument_hash:{ins.hash}]]", ""]
    # setup notes: display logic and numeric ranges that the format cannot carry
    notes = []
    for sec in ins.sections:
        if sec.show_if:
            notes.append(f"Block '{sec.id}': display only if {display_logic_text(sec.show_if, ins, lang)}.")
        n_sec = len(sec.show_if)
        for iid in sec.items:
            item = ins.items[iid]
            own = item.show_if[n_sec:]
            if own and item.type != "meta":
                notes.append(f"Question {iid}: display logic {display_logic_text(own, ins, lang)}.")
            if item.type in ("integer", "decimal") and item.scale is not None:
                kind = "integer" if item.type == "integer" else "number"
                notes.append(f"Question {iid}: content validation {kind} between "
                             f"{item.scale.min:g} and {item.scale.max:g}.")
            if item.required:
                notes.append(f"Question {iid}: force response.")
    notes += _routing_notes(ins, lang)
    out += ["[[Block:Setup notes - delete after setup]]", "", "[[Question:DB]]", "[[ID:setup_notes]]",
            _clean(f"Imported from {ins.name} {ins.version} (sha256 {ins.hash}). Add this logic in the "
                   "survey editor, then delete this block: ") + "<br>" + "<br>".join(notes), ""]
    cs_done: set[str] = set()
    cs_groups = ins.constant_sum_groups
    for sec, items in ins.asked_sections():
        out += [f"[[Block:{pick(sec.title)}]]", ""]
        if sec.intro:
            out += ["[[Question:DB]]", f"[[ID:{sec.id}_intro]]", pick(sec.intro), ""]
        if sec.id == ins.sections[0].id and ins.data_protection:
            out += ["[[Question:DB]]", "[[ID:data_protection]]",
                    "<br>".join(_clean(t) for t in data_protection_lines(ins, lang)), ""]
        done: set = set()
        for group in matrix_groups(ins, sec):
            matrix_id = f"{sec.id}_matrix{len(done) + 1}"
            done |= {i.id for i in group}
            first = group[0]
            lo, hi = int(first.scale.min), int(first.scale.max)
            out += ["[[Question:Matrix]]", f"[[ID:{matrix_id}]]", pick(sec.intro) or pick(sec.title), "",
                    "[[Choices]]", *[pick(i.text) for i in group], "", "[[Answers]]",
                    *[pick(first.scale.labels.get(v)) or str(v) for v in range(lo, hi + 1)], ""]
        for item in items:
            if item.id in done:
                continue
            if item.constant_sum is not None:
                group = item.constant_sum.group
                if group in cs_done:
                    continue
                cs_done.add(group)
                parts = cs_groups[group]
                out += ["[[Question:ConstantSum]]", f"[[ID:{group}]]",
                        pick(sec.intro) or pick(item.text), "", "[[Choices]]",
                        *[pick(p.text) for p in parts], ""]
                continue
            text = pick(item.text)
            if item.hint:
                text += f"<br><i>{pick(item.hint)}</i>"
            if item.type in ("likert", "select_one"):
                out += ["[[Question:MC:SingleAnswer:Vertical]]", f"[[ID:{item.id}]]", text, "",
                        "[[AdvancedChoices]]"]
                if item.type == "likert":
                    lo, hi = int(item.scale.min), int(item.scale.max)
                    for v in range(lo, hi + 1):
                        label = pick(item.scale.labels.get(v)) or str(v)
                        out += [f"[[Choice:{v}]]", f"{v} - {label}" if label != str(v) else label]
                else:
                    numeric = all(isinstance(c, int) and not isinstance(c, bool) for c in item.choices)
                    for pos, code in enumerate(item.choices):
                        out += [f"[[Choice:{code if numeric else pos + 1}]]", pick(item.choice_labels[code])]
                out.append("")
            elif item.type == "select_multiple":
                out += ["[[Question:MC:MultipleAnswer:Vertical]]", f"[[ID:{item.id}]]", text, "",
                        "[[Choices]]", *[pick(item.choice_labels[c]) for c in item.choices], ""]
            elif item.type in ("integer", "decimal", "text"):
                out += ["[[Question:TE:SingleLine]]", f"[[ID:{item.id}]]", text, ""]
        out += ["[[PageBreak]]", ""]
    return "\n".join(out).rstrip("\n") + "\n"
