"""Translations: the catalogues are complete and consistent, and Russian and French reach the
user (labels, plurals, state and theme names, the report, the account's language)."""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import auth, cli
from tracker.i18n import LOCALE_DIR, _, available_languages, is_rtl, ngettext, set_language
from tracker.models import AuditEvent
from tracker.states import shown_name
from tracker.vocab import STATUS_ORDER, status_label, status_phrase, theme_label

ROOT = Path(__file__).resolve().parents[1]
FIELD = re.compile(r"\{([^{}:!]*)(?:![rsa])?(?::[^{}]*)?\}")


def _catalog(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _pairs(message) -> Iterator[tuple[str, str]]:
    """(msgid, msgstr) for every form: plural msgstrs are checked against the plural msgid
    (the singular for the first form)."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strs = message.string if isinstance(message.string, tuple) else (message.string,)
    for i, s in enumerate(strs):
        yield ids[min(i, len(ids) - 1)], s


def _fields(text: str) -> set[str]:
    """The str.format fields of a message ("{n:,}" and "{n}" are the same field)."""
    return set(FIELD.findall(text))


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


def test_the_catalogues_are_compiled_and_offered() -> None:
    assert set(available_languages()) >= {"en", "ru", "fr"}


@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    catalog = _catalog(lang)
    untranslated = [m.id for m in catalog if m.id and not all(s for _id, s in _pairs(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert len([m for m in catalog if m.id]) > 700


@pytest.mark.parametrize(("lang", "forms", "rule"), [("ru", 3, None), ("fr", 2, "(n > 1)")])
def test_plural_messages_have_every_form_of_the_language(
    lang: str, forms: int, rule: str | None
) -> None:
    catalog = _catalog(lang)
    assert catalog.num_plurals == forms
    if rule is not None:
        assert catalog.plural_expr == rule
    plurals = [m for m in catalog if isinstance(m.id, tuple)]
    assert plurals
    for m in plurals:
        assert len(m.string) == forms, m.id
        assert all(m.string), m.id


@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_translations_keep_the_placeholders(lang: str) -> None:
    """A translation that drops or renames {n} breaks at .format(); one that adds a field
    raises KeyError. Format specs may differ ("{n:,}" can be "{n}" in Russian)."""
    wrong = [
        (msgid, msgstr)
        for m in _catalog(lang)
        if m.id
        for msgid, msgstr in _pairs(m)
        if msgstr and _fields(msgid) != _fields(msgstr)
    ]
    assert wrong == []


@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_the_committed_mo_files_match_the_po_files(lang: str) -> None:
    """The .mo files are committed (``make run`` needs no compile step); they must be the
    compiled form of the .po files: run ``make i18n-compile`` after editing a catalogue."""
    buf = io.BytesIO()
    write_mo(buf, _catalog(lang))
    buf.seek(0)
    expected = gettext.GNUTranslations(buf)._catalog
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        committed = gettext.GNUTranslations(f)._catalog
    assert {k: v for k, v in committed.items() if k} == {k: v for k, v in expected.items() if k}


@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_every_string_marked_in_the_code_has_a_translation(lang: str) -> None:
    """A new _("...") without a Russian or French translation fails here: run ``make
    i18n-extract``, translate the new entries of tracker/locale/{ru,fr}/LC_MESSAGES/messages.po,
    then ``make i18n-compile``."""
    method_map = [("tracker/**.py", "python"), ("pages/**.py", "python"), ("app.py", "python")]
    keywords = {
        "_": None,
        "N_": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        "NP_": ((1, "c"), 2),
    }
    marked = {
        (ctx, msg if isinstance(msg, str) else msg[0])
        for _file, _line, msg, _comments, ctx in extract_from_dir(
            str(ROOT), method_map, keywords=keywords
        )
    }
    translated = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _catalog(lang) if m.id
    }
    assert sorted(marked - translated) == []


def test_russian_labels_and_status_phrases() -> None:
    set_language("ru")
    assert status_label("partially_implemented") == "Частично выполнена"
    assert status_phrase("partially_implemented") == "частично выполнена"
    assert status_phrase("fully_implemented") == "полностью выполнена"
    # One consistent set: every label is its phrase with a capital letter.
    for s in STATUS_ORDER:
        assert status_label(s) == status_phrase(s)[:1].upper() + status_phrase(s)[1:]
    assert _("Overview") == "Обзор"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 рекомендация"),
        (3, "3 рекомендации"),
        (5, "5 рекомендаций"),
        (11, "11 рекомендаций"),
        (21, "21 рекомендация"),
        (24, "24 рекомендации"),
    ],
)
def test_russian_plurals_follow_the_number(n: int, expected: str) -> None:
    set_language("ru")
    assert ngettext("{n} recommendation", "{n} recommendations", n).format(n=n) == expected


def test_french_labels_and_status_phrases_use_the_un_terms() -> None:
    assert set_language("fr") == "fr"
    assert _("Overview") == "Vue d'ensemble"
    assert _("By theme") == "Par thème"
    assert _("State under review") == "État examiné"
    assert _("Supported") == "Acceptée"
    assert _("Noted") == "Dont il a été pris note"
    assert status_label("partially_implemented") == "Partiellement mise en œuvre"
    assert status_phrase("not_implemented") == "non mise en œuvre"
    for s in STATUS_ORDER:
        assert status_label(s) == status_phrase(s)[:1].upper() + status_phrase(s)[1:]


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 ligne"), (1, "1 ligne"), (2, "2 lignes"), (21, "21 lignes")]
)
def test_french_plurals_follow_the_number(n: int, expected: str) -> None:
    """French counts 0 and 1 as singular (plural=(n > 1)), unlike English."""
    set_language("fr")
    assert ngettext("{n} row", "{n} rows", n).format(n=n) == expected


# French puts a no-break space (U+00A0, as the catalogue does) before : ; ? ! and inside
# « »; a plain space there lets a line break leave the colon alone at the start of a line.
LOOSE_PUNCTUATION = re.compile(r" [:;?!»]|« ")


def test_french_punctuation_is_held_by_no_break_spaces() -> None:
    loose = [
        msgstr
        for m in _catalog("fr")
        if m.id
        for _msgid, msgstr in _pairs(m)
        if LOOSE_PUNCTUATION.search(msgstr)
    ]
    assert loose == []


def test_unknown_language_means_english_and_rtl_is_known() -> None:
    assert set_language("xx") == "en"
    assert _("Overview") == "Overview"
    assert is_rtl("ar")
    assert not is_rtl("ru")
    assert not is_rtl("en")


def test_state_and_theme_names_in_russian_stored_names_untouched() -> None:
    set_language("ru")
    assert shown_name("Kazakhstan") == "Казахстан"
    assert shown_name("KAZ") == "Казахстан"
    assert shown_name("Not a state anywhere") == "Not a state anywhere"
    assert theme_label("Women's rights") == "Права женщин"
    assert theme_label("A theme nobody translated") == "A theme nobody translated"
    # OHCHR spells one theme several ways across cycles: case, spacing and "&"/"and".
    assert theme_label("Children: Juvenile justice") == theme_label("Children: juvenile justice")
    assert theme_label("Children: juvenile justice") == "Дети: ювенальная юстиция"
    assert theme_label("Budget &resources (for human rights implementation)") == (
        "Бюджет и ресурсы (для осуществления прав человека)"
    )
    set_language("en")
    assert shown_name("Kazakhstan") == "Kazakhstan"
    assert theme_label("Women's rights") == "Women's rights"


def test_state_and_theme_names_in_french_are_the_un_short_names() -> None:
    set_language("fr")
    assert shown_name("Kazakhstan") == "Kazakhstan"
    assert shown_name("Russia") == "Fédération de Russie"  # not pycountry's "Russie, ..."
    assert shown_name("KOR") == "République de Corée"
    assert shown_name("Iran") == "Iran (République islamique d')"
    assert shown_name("Côte d'Ivoire") == "Côte d'Ivoire"
    assert theme_label("Women's rights") == "Droits des femmes"
    assert theme_label("A theme nobody translated") == "A theme nobody translated"


# Theme names spelt the same in English and in the language (a translation, not a gap).
SAME_AS_ENGLISH = {"ru": set(), "fr": {"Corruption", "Justice", "Migrants"}}


@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_every_theme_of_the_sample_has_a_translated_name(
    sample_session: Session, lang: str
) -> None:
    from tracker.queries import theme_options

    set_language(lang)
    missing = [
        t
        for t in theme_options(sample_session)
        if theme_label(t) == t and t not in SAME_AS_ENGLISH[lang]
    ]
    assert missing == []


@pytest.mark.realdata
@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_every_upr_info_issue_has_a_translated_name(shared_data: Path, lang: str) -> None:
    import pandas as pd

    issues: set[str] = set()
    for path in sorted(shared_data.glob("upr_info_*.csv")):
        df = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, usecols=["Issue"])
        for value in df["Issue"].dropna():
            issues.update(t.strip() for t in value.split(",") if t.strip())
    assert len(issues) > 40
    set_language(lang)
    missing = issues - SAME_AS_ENGLISH[lang]
    assert sorted(t for t in missing if theme_label(t) == t) == []


@pytest.mark.realdata
@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_every_theme_of_the_ohchr_thematic_lists_has_a_translated_name(
    shared_data: Path, lang: str
) -> None:
    # The current cycle's OHCHR Word matrices carry the Universal Human Rights Index's themes
    # ("Equality & non-discrimination", "Children: juvenile justice", ...), not UPR Info's.
    from tracker.importers import ImportSource, read_file

    themes: set[str] = set()
    for path in sorted((shared_data.parent / "ohchr").glob("*.docx")):
        for parsed in read_file(ImportSource.from_path(path)).parsed:
            themes.update(parsed.rec.themes)
    assert len(themes) > 40
    set_language(lang)
    missing = themes - SAME_AS_ENGLISH[lang]
    assert sorted(t for t in missing if theme_label(t) == t) == []


def test_an_account_keeps_its_language_with_an_audit_event(session: Session) -> None:
    with auth.acting_as("admin", "admin"):
        auth.create_user(session, "aigerim", "a long enough password", "admin")
    auth.set_user_language(session, "aigerim", "ru")
    session.commit()
    assert auth.user_language(session, "aigerim") == "ru"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.set_language")
    ).all()
    assert len(events) == 1
    assert events[0].after == {"language": "ru"}
    with pytest.raises(auth.AccountError, match="'xx'"):
        auth.set_user_language(session, "aigerim", "xx")


# What the submission's frame says in each language: the title, a heading, a status phrase,
# the key-words line, a theme section heading and a recommending state in parentheses.
FRAME = {
    "ru": [
        "Универсальный периодический обзор: Казахстан",
        "Введение",
        # The count in the nominative, in parentheses: "выполнение 341 рекомендация" was
        # ungrammatical (the genitive after "выполнение" changes with the number).
        "рассматривается выполнение рекомендаций, полученных государством Казахстан",
        "частично выполнена",
        "Ключевые слова:",
        "Права женщин",
        "(Малайзия)",
    ],
    "fr": [
        "Examen périodique universel\u00a0: Kazakhstan",
        "Introduction",
        "partiellement mise en œuvre",
        "Mots clés\u00a0:",
        "Droits des femmes",
        "(Malaisie)",
    ],
}


@pytest.mark.parametrize("lang", ["ru", "fr"])
def test_report_lang_writes_the_submission_frame_in_that_language(
    sample_url: str, tmp_path: Path, lang: str
) -> None:
    out = tmp_path / "submission.docx"
    assert cli.main(["report", "--state", "KAZ", "--lang", lang, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    text = re.sub(r"<[^>]+>", "", xml)
    assert [phrase for phrase in FRAME[lang] if phrase not in text] == []
    # Recommendation texts stay as imported: they are quotations.
    assert "Further strengthen law enforcement" in text
    assert "Universal Periodic Review of" not in text
    assert "Key words" not in text


def test_french_dates_write_the_first_of_the_month_as_an_ordinal() -> None:
    from tracker.i18n import long_date

    set_language("fr")
    try:
        assert long_date(dt.date(2025, 9, 1)) == "1er septembre 2025"
        assert long_date(dt.date(2025, 9, 11)) == "11 septembre 2025"
    finally:
        set_language("en")
    assert long_date(dt.date(2025, 9, 1)) == "1 September 2025"


def test_one_english_word_two_meanings_has_two_translations() -> None:
    # "Progress" is the page (ru «Динамика») and an action plan's field (ru «Ход выполнения»):
    # the plan's table, its export and the Activity page's "changed: ..." use the field's.
    from tracker import audit_text
    from tracker.i18n import pgettext

    set_language("ru")
    try:
        assert _("Progress") == "Динамика"
        assert pgettext("action plan", "Progress") == "Ход выполнения"
        assert audit_text._label(audit_text.FIELD_LABELS, "progress") == "Ход выполнения"
    finally:
        set_language("en")
    assert audit_text._label(audit_text.FIELD_LABELS, "progress") == "Progress"
