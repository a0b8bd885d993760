"""Streamlit glue: the one package of ``tracker`` that imports Streamlit.

Pages write ``from tracker import ui`` and call ``ui.query(...)``, ``ui.table(...)``: this
module re-exports the names they use. The modules, each importing only from those above it
in this list (no cycles):

* :mod:`~tracker.ui.data` — one engine per process, a session per call, the cached
  ``query`` and the transactional ``write`` (the cache is keyed on the data version);
* :mod:`~tracker.ui.markup` — database text shown safely, the one-rerun ``flash`` message;
* :mod:`~tracker.ui.actor` — who acts in this browser session, role checks;
* :mod:`~tracker.ui.language` — the interface language (URL, switch, account);
* :mod:`~tracker.ui.login` — login form, remembered login, logout;
* :mod:`~tracker.ui.url` — a page's own controls kept in the URL;
* :mod:`~tracker.ui.sidebar` — the shared filters in the sidebar and the URL;
* :mod:`~tracker.ui.widgets` — banner, page header, charts, tables, downloads, page number;
* :mod:`~tracker.ui.file_buttons` — a row of download buttons for the files a page makes;
* :mod:`~tracker.ui.repeats`, :mod:`~tracker.ui.edit_forms`, :mod:`~tracker.ui.plans` —
  sections of the recommendation, Flagged and Explorer pages (action plans, bulk
  assessment);
* :mod:`~tracker.ui.import_steps` — the import's second step (suggesting repeats), run in a
  thread after the commit and polled by the Import page;
* :mod:`~tracker.ui.serve` — starting the server (``python -m tracker serve``; not
  re-exported here).
"""

from tracker.ui.actor import ACTOR_KEY, can_write, current_actor, is_admin, require_role
from tracker.ui.assessment_fields import assessment_fields
from tracker.ui.data import (
    begin_run,
    data_version,
    engine,
    forget_queries,
    query,
    query_shared,
    session,
    write,
)
from tracker.ui.edit_forms import drafts_for_review, edit_recommendation_form, retraction_form
from tracker.ui.file_buttons import Download, download_row
from tracker.ui.import_steps import render_repeats_step, start_repeats_step
from tracker.ui.language import LANG_PARAM, LANGUAGE_NAMES, init_language, language_switch
from tracker.ui.login import COOKIE, LOGIN_KEY, TOKEN_REFRESH_S, logout, require_login
from tracker.ui.markup import flash, md_escape, text
from tracker.ui.plans import action_plan_section, bulk_assessment_form, due_actions_section
from tracker.ui.repeats import render_own_links, render_repeated_not_implemented, render_repeats
from tracker.ui.sidebar import (
    FILTERS_KEY,
    SEARCH_KEY,
    current_filters,
    filter_description,
    format_now,
    search_box,
    sidebar_filters,
    sync_query_params,
)
from tracker.ui.url import keep_in_url, parse_bool, parse_choice, parse_int, url_value
from tracker.ui.widgets import (
    DETAIL_PAGE,
    PLOTLY_CONFIG,
    STATUS_BADGE_COLOURS,
    TABLE_ROWS_IN_VIEW,
    TEXT_ROW_HEIGHT,
    chart_downloads,
    column_config,
    downloads,
    file_stem,
    no_match,
    open_recommendation,
    page_header,
    page_number,
    plotly,
    private_choice,
    sample_banner,
    source_caption,
    table,
    ticked_table,
)

__all__ = [
    "ACTOR_KEY",
    "COOKIE",
    "DETAIL_PAGE",
    "FILTERS_KEY",
    "LANGUAGE_NAMES",
    "LANG_PARAM",
    "LOGIN_KEY",
    "PLOTLY_CONFIG",
    "SEARCH_KEY",
    "STATUS_BADGE_COLOURS",
    "TABLE_ROWS_IN_VIEW",
    "TEXT_ROW_HEIGHT",
    "TOKEN_REFRESH_S",
    "Download",
    "action_plan_section",
    "assessment_fields",
    "begin_run",
    "bulk_assessment_form",
    "can_write",
    "chart_downloads",
    "column_config",
    "current_actor",
    "current_filters",
    "data_version",
    "download_row",
    "downloads",
    "drafts_for_review",
    "due_actions_section",
    "edit_recommendation_form",
    "engine",
    "file_stem",
    "filter_description",
    "flash",
    "forget_queries",
    "format_now",
    "init_language",
    "is_admin",
    "keep_in_url",
    "language_switch",
    "logout",
    "md_escape",
    "no_match",
    "open_recommendation",
    "page_header",
    "page_number",
    "parse_bool",
    "parse_choice",
    "parse_int",
    "plotly",
    "private_choice",
    "query",
    "query_shared",
    "render_own_links",
    "render_repeated_not_implemented",
    "render_repeats",
    "render_repeats_step",
    "require_login",
    "require_role",
    "retraction_form",
    "sample_banner",
    "search_box",
    "session",
    "sidebar_filters",
    "source_caption",
    "start_repeats_step",
    "sync_query_params",
    "table",
    "text",
    "ticked_table",
    "url_value",
    "write",
]
