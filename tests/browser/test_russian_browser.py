"""Every page in Russian in headless Chromium: no Streamlit exception, Russian headings, the
language kept when moving between pages with the menu, and a screenshot of each page
(test-artifacts/screenshots/ru-*.png) for people to look at."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

# (name, path, plotly charts drawn on the sample for Kazakhstan, the page's Russian title)
PAGES = [
    ("overview", "/?state=KAZ&lang=ru", 2, "Обзор"),
    ("progress", "/progress?state=KAZ&lang=ru", 6, "Динамика"),
    ("flagged", "/flagged?state=KAZ&lang=ru", 0, "Отмеченные рекомендации"),
    ("explorer", "/explorer?state=KAZ&lang=ru", 0, "Просмотр"),
    ("recommending-states", "/recommending-states?state=KAZ&lang=ru", 4, "Рекомендующие"),
    ("meeting", "/meeting?state=KAZ&cycle=2&lang=ru", 0, "Встреча коалиции"),
    ("recommendation", "/recommendation?id=4&lang=ru", 1, "Рекомендация 4"),
    ("report", "/report?lang=ru", 0, "Доклад заинтересованных сторон"),
    ("snapshot", "/snapshot?state=KAZ&lang=ru", 0, "Сводка для доноров по стране"),
    ("import", "/import?lang=ru", 0, "Импорт"),
    ("activity", "/activity?lang=ru", 0, "Журнал"),
    ("users", "/users?lang=ru", 0, "Пользователи"),
]


@pytest.mark.parametrize(("name", "path", "charts", "title"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_in_russian(
    server: str, page, name: str, path: str, charts: int, title: str
) -> None:
    page.goto(server + path)
    wait_for_app(page, charts=charts, timeout_ms=60_000)
    page.wait_for_selector("h1", timeout=30_000)
    # Widgets still being drawn show as grey skeletons: wait until none is left.
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000
    )
    heading = page.locator("h1").first.inner_text()
    assert heading.startswith(title), heading
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Фильтры").wait_for(timeout=30_000)
    # The switch, each language named in itself.
    sidebar.get_by_text("Русский", exact=True).wait_for(timeout=30_000)
    sidebar.get_by_text("English", exact=True).wait_for(timeout=30_000)
    screenshot(page, f"ru-{name}")


def test_the_language_stays_when_moving_with_the_menu(server: str, page) -> None:
    page.goto(server + "/?lang=ru")
    wait_for_app(page, charts=2, timeout_ms=60_000)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Динамика").click()
    page.wait_for_url("**/progress**", timeout=30_000)
    wait_for_app(page, charts=6, timeout_ms=60_000)
    assert page.locator("h1").first.inner_text().startswith("Динамика")
    assert "lang=ru" in page.url
