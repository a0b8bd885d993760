"""Which languages a user is offered (tracker.languages): only catalogues that translate at
least UPR_TRACKER_MIN_TRANSLATED percent (default 95) of the template, so that nobody is
offered a language that is mostly English; asking for another one gives English, no error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from tracker import auth, i18n, languages, settings
from tracker.i18n import DOMAIN, LOCALE_DIR, get_language, set_language, translated_shares

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _catalogue(locale_dir: Path, lang: str, share: float) -> None:
    """A compiled catalogue of ``lang`` translating ``share`` of the real template."""
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as f:
        catalog = read_po(f)
    singular = [m for m in catalog if m.id and isinstance(m.id, str)]
    wanted = round(share * len([m for m in catalog if m.id]))
    assert wanted <= len(singular)
    for m in singular[:wanted]:
        m.string = f"[{lang}] {m.id}"
    out = locale_dir / lang / "LC_MESSAGES"
    out.mkdir(parents=True)
    with (out / f"{DOMAIN}.mo").open("wb") as f:
        write_mo(f, catalog)


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real template and Russian catalogue, a language "xx" translated at 10 % and "yy"
    at 96 %, read instead of the real catalogues."""
    shutil.copy(LOCALE_DIR / f"{DOMAIN}.pot", tmp_path / f"{DOMAIN}.pot")
    shutil.copytree(LOCALE_DIR / "ru", tmp_path / "ru")
    _catalogue(tmp_path, "xx", 0.10)
    _catalogue(tmp_path, "yy", 0.96)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.delenv(settings.MIN_TRANSLATED.name, raising=False)
    yield tmp_path
    set_language("en")


def test_the_share_is_counted_from_the_compiled_catalogues(locales: Path) -> None:
    shares = translated_shares(locales)
    assert shares["ru"] == 1.0
    assert shares["xx"] == pytest.approx(0.10, abs=0.002)
    assert shares["yy"] == pytest.approx(0.96, abs=0.002)


def test_a_catalogue_under_the_threshold_is_not_offered(
    locales: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert languages.offered_languages() == ("en", "ru", "yy")
    assert languages.use_language("xx") == "en"  # asked for, not offered: English
    assert get_language() == "en"
    assert languages.use_language("yy") == "yy"
    # Admins may lower (a translator's preview) or raise the bar; a typo keeps the default.
    monkeypatch.setenv(settings.MIN_TRANSLATED.name, "0")
    assert languages.offered_languages() == ("en", "ru", "xx", "yy")
    monkeypatch.setenv(settings.MIN_TRANSLATED.name, "100")
    assert languages.offered_languages() == ("en", "ru")
    monkeypatch.setenv(settings.MIN_TRANSLATED.name, "ninety")
    assert languages.offered_languages() == ("en", "ru", "yy")


def test_an_account_cannot_keep_a_language_not_offered(locales: Path, session: Session) -> None:
    auth.create_user(session, "aigerim", "a long enough password", "admin")
    with pytest.raises(auth.AccountError, match="'xx' is not one of en, ru, yy"):
        auth.set_user_language(session, "aigerim", "xx")


def test_lang_of_a_language_not_offered_opens_in_english_without_error(
    locales: Path, sample_url: str
) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "xx"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Overview"  # English, not "[xx] Overview"
    assert at.query_params.get("lang") in (None, "en", ["en"])
    switch = at.segmented_control(key="lang_switch")
    assert list(switch.options) == ["English", "Русский", "yy"]
