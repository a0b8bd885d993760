"""Every page in Russian (?lang=ru) under AppTest: no English string of the catalogue shows.

Everything a page renders is collected from the element protos (titles, headers, markdown,
captions, alerts, metric labels, widget labels / options / placeholders / help, table column
headings, and the plotly spec: chart titles, axis titles, legend names, annotations). A text
fails when it is an English msgid of the catalogue (or fills one of its templates) whose
Russian translation differs: that string was shown untranslated. Recommendation texts and
other database content are quotations, not msgids, and never match.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from tests.pages.dashboard_support import open_page
from tracker import auth, db, ui

ROOT = Path(__file__).resolve().parents[2]
RU_PO = ROOT / "tracker" / "locale" / "ru" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")

PAGES = [
    ("pages/overview_page.py", {"state": "KAZ"}),
    ("pages/progress_page.py", {}),
    ("pages/flagged_page.py", {}),
    ("pages/explorer_page.py", {}),
    ("pages/recommending_states_page.py", {}),
    ("pages/meeting_page.py", {"state": "KAZ", "cycle": "2"}),
    ("pages/recommendation_page.py", {"id": "1"}),
    ("pages/report_page.py", {}),
    ("pages/snapshot_page.py", {}),
    ("pages/import_page.py", {}),
    ("pages/activity_page.py", {}),
    ("pages/users_page.py", {}),
]


@cache
def _untranslated_patterns() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """English msgids whose Russian differs: exact texts, and templates as regexes."""
    exact: set[str] = set()
    templates: list[re.Pattern[str]] = []
    with RU_PO.open("rb") as f:
        catalog = read_po(f)
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strs = m.string if isinstance(m.string, tuple) else (m.string,)
        for mid in ids:
            if mid in strs:
                continue  # the same in both languages ("Id", "JSON", "Markdown")
            literal = PLACEHOLDER.sub(" ", mid)
            if not re.search(r"[A-Za-z]{3,}", literal):
                continue  # placeholders and punctuation only
            if PLACEHOLDER.search(mid):
                parts = PLACEHOLDER.split(mid)
                words = re.findall(r"[A-Za-z]{3,}", literal)
                if not re.search(r"[A-Za-z]{3,}", parts[0]) and len(words) < 3:
                    # "{names} and {last}", "{n} recommendations": too little English of
                    # their own to tell them from quoted database text.
                    continue
                templates.append(re.compile("(?s)" + "(.+?)".join(re.escape(p) for p in parts)))
            else:
                exact.add(mid.strip())
    return frozenset(exact), tuple(templates)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a proto field value (JSON specs and column configs parsed)."""
    if isinstance(value, Message):
        for _field, v in value.ListFields():
            yield from _strings(v)
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in "{[":
            try:
                yield from _strings(json.loads(text))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)) or (
        hasattr(value, "__len__") and not isinstance(value, (bytes, bytearray))
    ):
        for v in value:
            yield from _strings(v)


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def rendered_texts(at: AppTest) -> set[str]:
    """The texts the page shows, one per string and one per line of a multi-line string,
    with Markdown escapes and the charts' <br> line breaks undone."""
    out: set[str] = set()
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        for s in _strings(proto):
            s = re.sub(r"\\(.)", r"\1", s.replace("<br>", " "))
            out.add(s.strip())
            out.update(line.strip(" *#>") for line in s.splitlines())
    return {t for t in out if t}


def untranslated(texts: set[str]) -> list[str]:
    exact, templates = _untranslated_patterns()
    found = sorted(t for t in texts if t in exact)
    found += sorted(t for t in texts if t not in exact and any(p.fullmatch(t) for p in templates))
    return found


@pytest.mark.parametrize(("page", "params"), PAGES, ids=[Path(p).stem for p, _ in PAGES])
def test_every_page_in_russian_shows_no_untranslated_string(
    sample_url: str, page: str, params: dict[str, str]
) -> None:
    at = open_page(page, lang="ru", **params)
    texts = rendered_texts(at)
    assert len(texts) > 5, "the page rendered (almost) nothing"
    assert untranslated(texts) == []
    # Russian really shows: the page list and the sidebar filters are translated too.
    assert "Фильтры" in texts
    assert at.query_params["lang"] in ("ru", ["ru"])


def test_the_check_catches_an_english_string() -> None:
    """The detector itself: English msgids and filled English templates are found, Russian
    text and database content are not."""
    found = untranslated(
        {
            "Current status",
            "Current status — all states",
            "Текущий статус",
            "Kazakhstan",
            "Further strengthen law enforcement and the judicial system",
        }
    )
    assert found == ["Current status", "Current status — all states"]


def test_russian_overview_names_states_and_statuses_in_russian(sample_url: str) -> None:
    at = open_page("pages/overview_page.py", lang="ru", state="KAZ")
    texts = rendered_texts(at)
    assert any(t.startswith("Текущий статус — Казахстан") for t in texts)
    assert "Частично выполнена" in texts  # the legend / labels
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Рекомендации"] == "26"


def test_the_language_switch_changes_the_language_and_keeps_it_in_the_url(
    sample_url: str,
) -> None:
    at = open_page("pages/progress_page.py")
    assert at.title[0].value == "Progress"
    at.segmented_control(key="lang_switch").set_value("ru").run()
    assert not at.exception
    assert at.title[0].value == "Динамика"
    assert at.query_params["lang"] in ("ru", ["ru"])
    # Still Russian after the filters change (the URL is rewritten, lang stays).
    at.multiselect(key="f_cycle").select(2).run()
    assert at.title[0].value == "Динамика"
    assert at.query_params["lang"] in ("ru", ["ru"])
    at.segmented_control(key="lang_switch").set_value("en").run()
    assert at.title[0].value == "Progress"


def test_the_french_page_is_in_french(sample_url: str) -> None:
    at = open_page("pages/progress_page.py", lang="fr")
    texts = rendered_texts(at)
    assert at.title[0].value == "Progrès"
    assert "Filtres" in texts
    assert "Par thème" in texts  # the whole catalogue is translated now
    assert "By theme" not in texts


def test_french_labels_take_a_no_break_space_before_the_colon(sample_url: str) -> None:
    # "Needs attention" links read « Obsolète : 17 » in French, "Stale: 17" in English.
    import re

    french = rendered_texts(open_page("pages/overview_page.py", lang="fr"))
    flags = [t for t in french if re.search(r": \*\*\d", t)]
    assert flags
    assert all("\u00a0: **" in t for t in flags), flags
    english = [t for t in rendered_texts(open_page("pages/overview_page.py")) if ": **" in t]
    assert english
    assert all("\u00a0" not in t for t in english)


def test_an_account_opens_in_its_language_and_keeps_a_new_choice(sample_url: str) -> None:
    engine = db.get_engine(sample_url)
    with db.session_scope(engine) as s, auth.acting_as("setup", "admin"):
        auth.create_user(s, "aigerim", "a long enough password", "admin", language="ru")
    with db.session_scope(engine) as s:
        token = auth.issue_token(s, "aigerim")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    now = time.time()
    at.session_state[ui.LOGIN_KEY] = {"token": token, "issued": now, "last_seen": now}
    at.run()
    at.switch_page("pages/progress_page.py").run()
    assert not at.exception
    assert at.title[0].value == "Динамика"  # no ?lang=: the account's language
    at.segmented_control(key="lang_switch").set_value("en").run()
    assert at.title[0].value == "Progress"
    with db.session_scope(engine) as s:
        assert auth.user_language(s, "aigerim") == "en"


ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")


def test_russian_chart_axes_have_russian_months_and_number_separators(sample_url: str) -> None:
    """Date axes are labelled by the app in the language (plotly's own labels are English),
    and plotly writes numbers with the language's separators (as the texts do)."""
    from tests.pages.dashboard_support import charts

    checked_dates = 0
    for page, params in (
        ("pages/recommendation_page.py", {"id": "1"}),
        ("pages/progress_page.py", {"state": "KAZ"}),
    ):
        at = open_page(page, lang="ru", **params)
        for spec in charts(at):
            layout = spec["layout"]
            assert layout["separators"] == ",\u00a0"  # "1 373", "0,5"
            axis = layout.get("xaxis", {})
            if axis.get("type") == "date":
                labels = " ".join(axis["ticktext"])
                assert labels, page
                assert not ENGLISH_MONTHS.search(labels), labels
                checked_dates += 1
    assert checked_dates >= 2
    # A few months apart: the ticks name the months, in Russian.
    import pandas as pd

    from tracker import charts as chart_builders
    from tracker.i18n import set_language

    set_language("ru")
    try:
        fig = chart_builders.timeline(
            pd.DataFrame(
                {
                    "assessed_on": pd.to_datetime(["2024-03-10", "2024-09-01"]),
                    "status": ["not_implemented", "partially_implemented"],
                    "source_org": ["НПО", "Омбудсмен"],
                    "retracted": [False, False],
                }
            ),
            "t",
        )
    finally:
        set_language("en")
    ticks = " ".join(fig.layout.xaxis.ticktext)
    assert "май 2024" in ticks
    assert not ENGLISH_MONTHS.search(ticks)


def test_russian_counts_use_russian_digit_grouping(sample_url: str) -> None:
    from tracker import formats
    from tracker.i18n import set_language

    set_language("ru")
    try:
        assert formats.number(1373) == "1\u00a0373"
        assert formats.percent(1, 300) == "<1\u00a0%"
    finally:
        set_language("en")
    assert formats.number(1373) == "1,373"
    assert formats.percent(1, 300) == "<1%"


def test_the_activity_table_names_the_changed_record_with_a_noun(sample_url: str) -> None:
    """Issue #18 screenshots: the Activity table's "Record" column read «Записать» ("to
    record", a verb) instead of «Запись» (the record that changed)."""
    at = open_page("pages/activity_page.py", lang="ru")
    (table,) = at.dataframe
    headings = {c["label"] for c in json.loads(table.proto.columns).values() if "label" in c}
    assert "Запись" in headings
    assert "Записать" not in headings
