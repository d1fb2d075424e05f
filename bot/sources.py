"""Turning what an editor typed or attached into numbered sources.

A slash-command option is one line, so `sources` carries several this way (spec
section 4): each http(s) URL is one source; pasted texts are numbered inline
`1) first text 2) second text`; unnumbered text is one source. The attached file is
one more source.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from bot.errors import InvalidInput
from storage.records import SourceDoc

MAX_SOURCES = 10
MAX_TEXT_CHARS = 100_000
MAX_FILE_BYTES = 10 * 1024 * 1024
TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
PDF_TYPE = "application/pdf"

_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://\S+", re.IGNORECASE)
_NUMBERED = re.compile(r"(?:^|\s)(\d{1,2})\)\s+")


def _clean_url(url: str) -> str:
    return url.rstrip(".,;:!?)]}>'\"")


def _title_for(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "Pasted text"
    return first[:80] + ("..." if len(first) > 80 else "")


def _split_numbered(text: str) -> list[str]:
    """`1) a 2) b` -> ['a', 'b'] when the numbers run 1, 2, 3...; else the whole text."""
    marks = list(_NUMBERED.finditer(text))
    numbers = [int(m.group(1)) for m in marks]
    if not marks or numbers != list(range(1, len(marks) + 1)) or text[: marks[0].start()].strip():
        return [text.strip()] if text.strip() else []
    parts = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        part = text[mark.end():end].strip()
        if part:
            parts.append(part)
    return parts


def parse_sources(text: str | None) -> list[SourceDoc]:
    """URLs first-class, the rest as pasted texts; refuse what cannot be a source."""
    if not text or not text.strip():
        return []
    urls = []
    for match in _URL.finditer(text):
        url = _clean_url(match.group(0))
        if not url.lower().startswith(("http://", "https://")):
            raise InvalidInput(
                f"`sources`: {url[:80]} is not an http(s) URL; only web links can be fetched."
            )
        urls.append(url)
    remainder = _URL.sub(" ", text)
    texts = [t for t in _split_numbered(remainder) if re.search(r"\w", t)]
    docs = [SourceDoc(kind="url", title=url, url=url) for url in dict.fromkeys(urls)]
    docs += [SourceDoc(kind="text", title=_title_for(t), text=t) for t in texts]
    if len(docs) > MAX_SOURCES:
        raise InvalidInput(f"`sources`: at most {MAX_SOURCES} sources per draft "
                           f"(you gave {len(docs)}).")
    return docs


def attachment_source(filename: str, content_type: str | None, size: int,
                      data: bytes | None = None) -> SourceDoc:
    """Validate an attached file (before download when `data` is None)."""
    suffix = PurePath(filename).suffix.lower()
    media = (content_type or "").split(";")[0].strip().lower()
    if suffix == ".pdf" or media == PDF_TYPE:
        kind, media_type = "pdf", PDF_TYPE
    elif suffix in TEXT_TYPES:
        kind, media_type = "file", TEXT_TYPES[suffix]
    else:
        raise InvalidInput(
            f"`file`: {filename[:80]} is not a supported type; attach a .txt, .md or .pdf file."
        )
    if size > MAX_FILE_BYTES:
        raise InvalidInput(f"`file`: {filename[:80]} is {size / 1_048_576:.1f} MB; the limit "
                           f"is {MAX_FILE_BYTES // 1_048_576} MB.")
    if size == 0:
        raise InvalidInput(f"`file`: {filename[:80]} is empty.")
    if data is None:
        return SourceDoc(kind=kind, title=filename, filename=filename, media_type=media_type)
    return _with_data(kind, filename, media_type, data)


def _with_data(kind: str, filename: str, media_type: str, data: bytes) -> SourceDoc:
    if kind == "pdf":
        if not data.startswith(b"%PDF-"):
            raise InvalidInput(f"`file`: {filename[:80]} does not look like a PDF.")
        return SourceDoc(kind="pdf", title=filename, filename=filename, media_type=media_type,
                         data=data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"`file`: {filename[:80]} is not UTF-8 text.") from None
    if "\x00" in text:
        raise InvalidInput(f"`file`: {filename[:80]} looks binary, not text.")
    if not text.strip():
        raise InvalidInput(f"`file`: {filename[:80]} has no text in it.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"`file`: {filename[:80]} has {len(text):,} characters; the limit "
                           f"is {MAX_TEXT_CHARS:,}.")
    return SourceDoc(kind="file", title=filename, filename=filename, media_type=media_type,
                     text=text)


def check_text_sources(docs: list[SourceDoc]) -> None:
    for doc in docs:
        if doc.text and len(doc.text) > MAX_TEXT_CHARS:
            raise InvalidInput(f"`sources`: a pasted text is over {MAX_TEXT_CHARS:,} characters.")
