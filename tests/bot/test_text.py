import pytest

from bot.errors import InvalidInput
from bot.text import clean_optional, clean_text, has_visible


def test_scripts_that_need_joiners_are_kept_unchanged() -> None:
    persian = "می\u200cخواهم"  # ZWNJ inside a Persian word
    family = "👩\u200d👩\u200d👧"  # an emoji ZWJ sequence
    devanagari = "\u0958" * 300  # precomposed letters, at the limit
    for text in (persian, family, devanagari):
        assert clean_text(text, "text", 300) == text


def test_hiding_and_reordering_characters_are_removed() -> None:
    assert clean_text("\u202etxet\u202c and \u200bspace\ufeff", "text", 100) == "txet and space"


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200c\u200d", "\u00ad\u00ad",
                                  "\u202e\u2066", "\u0301\u0301"])
def test_nothing_visible_is_empty(text: str) -> None:
    assert not has_visible(text)
    with pytest.raises(InvalidInput, match="is empty"):
        clean_text(text, "text", 10)
    assert clean_optional(text, "text", 10) is None


def test_limits_and_nul() -> None:
    with pytest.raises(InvalidInput, match="is 11 characters; the limit is 10"):
        clean_text("x" * 11, "text", 10)
    with pytest.raises(InvalidInput, match="NUL"):
        clean_text("a\x00b", "text", 10)
    assert clean_text("  a  b \n c ", "t", 20, multiline=False) == "a b c"
