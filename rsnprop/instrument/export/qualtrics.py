"""Qualtrics Advanced-Format TXT (``Survey > Tools > Import/Export > Import survey``).

Follows Qualtrics' documented Advanced Format: the file starts with ``[[AdvancedFormat]]``;
``[[Block:name]]`` starts a block; each question starts with ``[[Question:TYPE]]``, has an
``[[ID:...]]`` line (the question's data export tag: the item id, so the CSV export columns
are the item ids), its text, then ``[[Choices]]``/``[[AdvancedChoices]]`` with one choice
per line; ``[[PageBreak]]`` separates pages.  Types used:

* likert and select_one -> ``[[Question:MC:SingleAnswer:Vertical]]`` with
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
survey editor, then delete the block); the codebook lists them too.  An embedded-data line ``[[ED:instrument_hash:...]]``
records the instrument's name, version and hash in every response.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> from rsnprop.instrument.export.qualtrics import export
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> export(ins).splitlines()[0]
'[[AdvancedFormat]]'
"""

from __future__ import annotations

__all__ = ["export", "display_logic_text"]

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
    out += ["[[Block:Setup notes - delete after setup]]", "", "[[Question:DB]]", "[[ID:setup_notes]]",
            _clean(f"Imported from {ins.name} {ins.version} (sha256 {ins.hash}). Add this logic in the "
                   "survey editor, then delete this block: ") + "<br>" + "<br>".join(notes), ""]
    cs_done: set[str] = set()
    cs_groups = ins.constant_sum_groups
    for sec in ins.sections:
        items = [ins.items[i] for i in sec.items if ins.items[i].type != "meta"]
        if not items:
            continue
        out += [f"[[Block:{pick(sec.title)}]]", ""]
        if sec.intro:
            out += ["[[Question:DB]]", f"[[ID:{sec.id}_intro]]", pick(sec.intro), ""]
        for item in items:
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
