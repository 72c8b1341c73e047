"""Codes in words (../shared/STYLE.md: people never see codes). A vocabulary's TextChoices label is
the one place that words a code (translated, docs/adr/0029); this reads it for a stored value."""
from __future__ import annotations


def label(choices, code) -> str:
    """The words of `code` in the TextChoices class `choices`; the code itself when the vocabulary
    does not know it (never a blank for a value), and an empty string for no value."""
    if code is None or code == "":
        return ""
    return str(choices(code).label) if code in choices.values else str(code)
