import pytest

from bot.errors import InvalidInput
from bot.sources import MAX_FILE_BYTES, attachment_source, parse_sources


def test_each_url_is_one_source_and_numbered_texts_are_split() -> None:
    docs = parse_sources("https://a.example/x, 1) The union said so. 2) The port said "
                         "otherwise. http://b.example/y.")
    assert [(d.kind, d.url or d.text) for d in docs] == [
        ("url", "https://a.example/x"), ("url", "http://b.example/y"),
        ("text", "The union said so."), ("text", "The port said otherwise.")]


def test_unnumbered_text_is_one_source() -> None:
    docs = parse_sources("Minutes of the meeting: 3) items were discussed.")
    assert len(docs) == 1 and docs[0].text.startswith("Minutes")


@pytest.mark.parametrize("text", ["ftp://files.example/a", "javascript://x", "file:///etc/passwd"])
def test_non_http_urls_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="not an http"):
        parse_sources(text)


def test_too_many_sources() -> None:
    with pytest.raises(InvalidInput, match="at most 10"):
        parse_sources(" ".join(f"https://e.example/{i}" for i in range(11)))


@pytest.mark.parametrize(
    ("name", "ctype", "size", "message"),
    [("a.exe", "application/octet-stream", 10, "not a supported type"),
     ("a.docx", None, 10, "not a supported type"),
     ("a.pdf", "application/pdf", MAX_FILE_BYTES + 1, "the limit is 10 MB"),
     ("a.txt", "text/plain", 0, "empty")],
)
def test_bad_attachments(name, ctype, size, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        attachment_source(name, ctype, size)


def test_attachment_content_is_checked() -> None:
    with pytest.raises(InvalidInput, match="does not look like a PDF"):
        attachment_source("a.pdf", "application/pdf", 5, b"hello")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        attachment_source("a.txt", "text/plain", 2, b"\xff\xfe\xfa")
    doc = attachment_source("notes.md", "text/markdown", 5, b"# hi\nthere")
    assert (doc.kind, doc.text) == ("file", "# hi\nthere")
