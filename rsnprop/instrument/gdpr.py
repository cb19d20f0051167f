"""Data-protection notice (GDPR / RGPD art. 13) shown before the consent question.

The instrument's ``data_protection`` block holds the study-specific values (controller,
purpose, legal basis, data stored, retention, rights, contact, data protection officer) in
every language; every exporter shows them, with the field names in the respondent's
language, right before consent.  Empty values (the shipped template) are shown as
``[to be completed]`` and make :func:`rsnprop.instrument.validate.fielding_problems` fail.

Examples
--------
>>> from rsnprop.instrument import load_instrument
>>> ins = load_instrument("instruments/rsn_internationalisation.yaml")
>>> notice = data_protection_notes(ins)
>>> notice["en"].splitlines()[0]
'Data protection (GDPR)'
>>> notice["fr"].splitlines()[1]
'Responsable du traitement : [à compléter]'
"""

from __future__ import annotations

from .schema import DATA_PROTECTION_FIELDS

__all__ = ["FIELD_LABELS", "data_protection_notes", "data_protection_lines"]

#: language -> (heading, {field: label}, placeholder)
FIELD_LABELS = {
    "en": ("Data protection (GDPR)",
           {"controller": "Controller", "purpose": "Purpose of the processing",
            "legal_basis": "Legal basis", "data_stored": "Data stored",
            "retention": "Retention period",
            "rights": "Your rights (withdraw consent, access, rectify, erase)",
            "contact": "Contact", "dpo": "Data protection officer"},
           "[to be completed]"),
    "fr": ("Protection des données (RGPD)",
           {"controller": "Responsable du traitement", "purpose": "Finalité du traitement",
            "legal_basis": "Base juridique", "data_stored": "Données conservées",
            "retention": "Durée de conservation",
            "rights": "Vos droits (retrait du consentement, accès, rectification, effacement)",
            "contact": "Contact", "dpo": "Délégué à la protection des données"},
           "[à compléter]"),
}


def data_protection_lines(ins, lang: str) -> list[str]:
    """Heading then one ``label: value`` line per field, in ``lang`` (English labels when the
    language has none); empty list when the instrument has no ``data_protection`` block."""

    dp = ins.data_protection
    if not dp:
        return []
    heading, labels, todo = FIELD_LABELS.get(lang, FIELD_LABELS["en"])
    sep = " : " if lang == "fr" else ": "
    lines = [heading]
    for name in DATA_PROTECTION_FIELDS:
        value = str(dp[name].get(lang, "")).strip() or todo
        lines.append(f"{labels[name]}{sep}{value}")
    return lines


def data_protection_notes(ins) -> dict:
    """``{lang: notice text}`` (lines joined by newlines) for every language of ``ins``."""
    return {lang: "\n".join(data_protection_lines(ins, lang)) for lang in ins.languages}
