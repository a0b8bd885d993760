"""The encoding of a text file: a byte-order mark, UTF-8, or a checked guess.

A text file that is not UTF-8 is read as Windows-1252 or Mac Roman only when an encoding
detector (charset-normalizer) agrees that it reads that way (:func:`decode`); the guess is
reported as a warning. A file the detector confidently reads otherwise (Shift-JIS,
Windows-1251, ...), or a UTF-8 file with a few invalid bytes, is refused with a message
suggesting ``--encoding NAME`` (:func:`decode_as` reads with the encoding named).
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterator

from tracker.i18n import _
from tracker.importers.sources import NotATableError

BINARY_PROBE = 8192
MAX_SCORED_CHARS = 4000  # non-ASCII characters looked at to choose cp1252 or Mac Roman
DETECT_BYTES = 512 * 1024  # what the encoding detector looks at (it samples anyway)
CONFIDENT_CHAOS = 0.05  # charset-normalizer's "mess" ratio under which its guess counts
# Fewer non-ASCII bytes than this are too little for the detector to overrule a plausible
# reading (the real Terman export has three, all Mac Roman, which the detector calls cp1250).
MIN_EVIDENCE = 16
_ASCII = bytes(range(128))
# The encodings read without --encoding (the Windows and Mac spreadsheet defaults).
GUESSED = ("cp1252", "mac_roman")
GUESSED_NAMES = frozenset(codecs.lookup(e).name for e in GUESSED)
TEXT_CHUNK = 1 << 20  # bytes decoded at a time when checking or streaming a text file


def decode_as(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode with the encoding the user named (``--encoding``); NotATableError when the
    name is unknown or the bytes are not text in it."""
    name = check_encoding(data, encoding)
    return data.decode(name), name


def check_encoding(data: bytes, encoding: str) -> str:
    """The codec of the encoding the user named (``--encoding``), once every byte of
    ``data`` is checked to read in it (a chunk at a time: no copy of the text is made);
    NotATableError when the name is unknown or the bytes are not text in it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise NotATableError(
            _(
                "{name} is not an encoding Python knows (e.g. utf-8, cp1252, latin-1, shift_jis)"
            ).format(name=repr(encoding))
        ) from None
    if name in ("utf-8", "utf-16") and data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = "utf-8-sig" if name == "utf-8" else name
    exc = first_error(data, name)
    if exc is not None:
        raise NotATableError(
            _("the file is not {name} text: byte {pos} (line {line}) is not ({reason})").format(
                name=encoding, pos=exc.start, line=_line_of(data, exc.start), reason=exc.reason
            )
        )
    return name


def first_error(data: bytes | memoryview, codec: str) -> UnicodeDecodeError | None:
    """The first place where ``data`` is not text in ``codec`` (its ``start`` counted from
    the first byte of ``data``), or None. Decoded a chunk at a time and let go of: a 15 MB
    file is not held a second time as text, at up to four bytes a character."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    size = len(data)
    view = memoryview(data)
    for start in range(0, size or 1, TEXT_CHUNK):
        held = len(decoder.getstate()[0])  # bytes of a character split by the last chunk
        try:
            decoder.decode(view[start : start + TEXT_CHUNK], final=start + TEXT_CHUNK >= size)
        except UnicodeDecodeError as exc:
            at = start - held
            return UnicodeDecodeError(
                exc.encoding, bytes(exc.object), at + exc.start, at + exc.end, exc.reason
            )
    return None


def iter_text(data: bytes, codec: str) -> Iterator[tuple[int, str]]:
    """The text of ``data`` in ``codec`` (checked beforehand) a piece of about
    :data:`TEXT_CHUNK` bytes at a time, each with the bytes read once it is decoded: what a
    streaming reader holds instead of the whole text."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    size = len(data)
    view = memoryview(data)
    for start in range(0, size, TEXT_CHUNK):
        end = min(start + TEXT_CHUNK, size)
        piece = decoder.decode(view[start:end], final=end == size)
        if piece:
            yield end, piece


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def decode(data: bytes, warnings: list[str] | None = None) -> tuple[str, str]:
    """Decode a text file; return the text and a label of the encoding found
    (:func:`find_encoding`)."""
    codec = find_encoding(data, warnings)
    return data.decode(codec), codec


def find_encoding(data: bytes, warnings: list[str] | None = None) -> str:
    """The codec a text file is read with (its label: ``utf-8-sig``, ``utf-8``, ``utf-16``,
    ``cp1252``, ...), every byte checked; UTF-8 and UTF-16 are checked a chunk at a time,
    without a copy of the text.

    A byte-order mark decides; else strict UTF-8; else Windows-1252 or Mac Roman, whichever
    makes the non-ASCII characters read as plausible text (accented letters inside words,
    typographic quotes and dashes in their usual places), provided that the encoding detector
    finds that reading among its best (:func:`_check_guess`). The guess is appended to
    ``warnings``. NotATableError for a UTF-8 file with a few invalid bytes and for a file the
    detector confidently reads in another encoding: both ask for ``--encoding``.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        # the text after the mark is checked (byte positions counted from there, as ever)
        _strict(memoryview(data)[3:], "utf-8", _("UTF-8 with BOM"))
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "UTF-16")
    probe = data[:BINARY_PROBE]
    if b"\x00" in probe:
        even, odd = probe[0::2].count(0), probe[1::2].count(0)
        half = len(probe) // 2 or 1
        if odd > 0.4 * half and even < 0.05 * half:
            return _strict(data, "utf-16-le", "UTF-16")
        if even > 0.4 * half and odd < 0.05 * half:
            return _strict(data, "utf-16-be", "UTF-16")
        raise NotATableError(
            _("this is a binary file, not a table (use CSV, Excel .xlsx or a UHRI JSON export)")
        )
    broken = first_error(data, "utf-8")
    if broken is None:
        return "utf-8"
    _refuse_broken_utf8(data, broken)
    candidates: list[tuple[int, int, str, str]] = []
    bare_cr = data.count(b"\r") > 0 and data.count(b"\n") == 0
    for order, enc in enumerate(("cp1252", "mac_roman")):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # On a tie, classic Mac line ends (bare CR) point to Mac Roman.
        tie_break = (1 if enc == "mac_roman" else 0) if bare_cr else -order
        candidates.append((plausibility(text), tie_break, enc, text))
    _score, _tie, enc, text = max(candidates)
    del candidates
    if _control_share(text) > 0.01:
        raise NotATableError(
            _("this is a binary file, not a table (use CSV, Excel .xlsx or a UHRI JSON export)")
        )
    _check_guess(data, text)
    if warnings is not None:
        label = "Windows-1252" if enc == "cp1252" else "Mac Roman"
        warnings.append(
            _(
                "the file is not UTF-8; it was read as {label} (a guess). If letters look "
                "wrong in the preview, import it again with --encoding NAME, or save it as "
                "UTF-8"
            ).format(label=label)
        )
    return enc


def _refuse_broken_utf8(data: bytes, exc: UnicodeDecodeError) -> None:
    """A file that is UTF-8 but for a few bytes must not be read as Windows-1252 (every
    accented letter would turn into two): refuse it, naming the first bad byte."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")
    good = sum(1 for ch in text if ch >= "\x80" and ch != "\ufffd")
    if good > bad:
        raise NotATableError(
            _(
                "the file is UTF-8 text except for byte {pos} (line {line}), which is not "
                "({reason}): correct it (save the file again as UTF-8), or, if the file is in "
                "another encoding, import it with --encoding NAME"
            ).format(pos=exc.start, line=_line_of(data, exc.start), reason=exc.reason)
        )


def _check_guess(data: bytes, text: str) -> None:
    """Refuse the Windows-1252 / Mac Roman reading ``text`` when the encoding detector is
    confident of another one: none of its best candidates (those as free of mess as the
    best) gives the same text nor is one of :data:`GUESSED` (whose choice between them
    :func:`plausibility` makes). An unsure detector leaves the guess alone, and so does a
    file with a handful of non-ASCII bytes that read plausibly."""
    from charset_normalizer import from_bytes

    sample = data[:DETECT_BYTES]
    if len(sample.translate(None, _ASCII)) < MIN_EVIDENCE and plausibility(text) > 0:
        return
    results = list(from_bytes(sample))
    if not results:
        return
    best = min(r.chaos for r in results)
    if best > CONFIDENT_CHAOS:
        return
    top = [r for r in results if r.chaos <= best + 1e-9]
    mine = text[: len(sample)]  # cp1252 and Mac Roman: one character per byte
    for r in top:
        if codecs.lookup(r.encoding).name in GUESSED_NAMES:
            return
        if sample.decode(r.encoding, "replace") == mine:
            return
    guess = codecs.lookup(top[0].encoding).name
    raise NotATableError(
        _(
            "the file is not UTF-8, and it looks like {guess} text rather than Windows-1252 or "
            "Mac Roman: save it as UTF-8, or import it with --encoding NAME (e.g. --encoding "
            "{guess})"
        ).format(guess=guess)
    )


def _strict(data: bytes | memoryview, encoding: str, label: str) -> str:
    """``encoding`` once ``data`` is checked to be text in it (its byte-order mark included)."""
    exc = first_error(data, encoding)
    if exc is not None:
        raise NotATableError(
            _("the file says it is {label} text but byte {pos} is not ({reason})").format(
                label=label, pos=exc.start, reason=exc.reason
            )
        )
    return encoding


def _control_share(text: str) -> float:
    sample = text[:BINARY_PROBE]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    return bad / len(sample)


def plausibility(text: str) -> int:
    """How much the non-ASCII characters of ``text`` look like real text (higher is better).

    Accented letters belong inside words (a capital one after a lower-case letter does not);
    typographic quotes and dashes sit next to letters or spaces; symbols such as ``ˆ``, ``√``
    or ``Ž`` in the middle of a word are what a wrong code page produces.
    """
    score = 0
    seen = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        seen += 1
        if seen > MAX_SCORED_CHARS:
            break
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        cat = unicodedata.category(ch)
        if cat == "Ll":
            if prev.isalpha() or nxt.isalpha():
                score += -1 if nxt.isupper() and not prev.isalpha() else 1
        elif cat == "Lu":
            # not after a lower-case letter, and not a one-letter word
            score += -1 if prev.islower() or not (prev.isalpha() or nxt.isalpha()) else 1
        elif ch in "’‘":
            score += 1 if nxt.isalpha() else 0  # women’s; a closing quote is ambiguous
        elif ch in "“«":
            score += 1 if nxt.isalnum() else -1
        elif ch in "”»":
            score += 1 if prev.isalnum() or prev in ".,!?" else -1
        elif ch in "–—":
            score += 1 if prev in " \t" or nxt in " \t" or prev.isdigit() else 0
        elif ch in "€£°©®™§±…•·\u00a0":
            score += 0
        else:
            score -= 1
    return score
