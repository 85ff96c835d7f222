"""Display-name templates with named placeholders, e.g. ``{name}-{type}-{date}-{time}``."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

MAX_NAME_LENGTH: Final = 255


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def check_template(template: str, allowed: Iterable[str]) -> str:
    """Raise ValueError naming an unknown placeholder (or a bad format) before any run."""
    allowed = set(allowed)
    try:
        used = placeholders(template)
    except ValueError as exc:
        raise ValueError(f"malformed template: {exc}") from None
    unknown = sorted(used - allowed)
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{unknown[0]}}}; use {', '.join('{' + a + '}' for a in sorted(allowed))}"
        )
    if not template.strip():
        raise ValueError("the template is empty")
    try:  # format specs and conversions ({name:d}, {date!x}) fail on the strings a run passes
        template.format_map(dict.fromkeys(allowed, "x"))
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"malformed template: {exc}") from None
    return template


def clean(text: str) -> str:
    """``text`` without control or format characters (newlines, tabs, escapes, bidi overrides): each
    becomes a space, so a name cannot break a digest line or hide what it says."""
    if text.isprintable():  # no Cc or Cf character (the common case, checked at C speed)
        return text
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the template, clean it; the result is trimmed to OCI's 255-character display-name limit."""
    name = clean(template.format_map({k: v for k, v in values.items()}))
    return name.strip()[:MAX_NAME_LENGTH].strip() or "backup"
