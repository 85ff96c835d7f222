"""``clean``: what a name becomes before it reaches a person (control and format characters blanked)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.rules.naming import clean


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\n\t\x1b\u202e\u200b\xa0\u2028 ")))
def test_clean_blanks_exactly_the_control_and_format_characters(text: str) -> None:
    cleaned = clean(text)
    assert len(cleaned) == len(text)
    for before, after in zip(text, cleaned, strict=True):
        hidden = unicodedata.category(before) in ("Cc", "Cf")
        assert after == (" " if hidden else before)


def test_a_printable_name_comes_back_as_it_is() -> None:
    name = "vol-01 (prod) ünïcödé 名前"
    assert clean(name) is name
