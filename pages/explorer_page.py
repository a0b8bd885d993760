"""Explorer: every recommendation matching the filters, searchable, sortable, paginated and
downloadable; choosing a row opens its detail page. Editors assess the selection (the
filtered recommendations or ticked rows) at once."""

import streamlit as st

from tracker import columns, display_frames, explorer, exports, queries, ui
from tracker.formats import number
from tracker.i18n import _

f, where = ui.page_header(_("Explorer"))
ui.search_box()

if not ui.query(queries.any_match, f):
    ui.no_match()
    st.stop()

sort_col, desc_col, size_col, page_col = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
ui.url_value("sort", ui.parse_choice(explorer.SORT_LABELS), explorer.DEFAULT_SORT)
sort = sort_col.selectbox(
    _("Sort by"), list(explorer.SORT_LABELS), format_func=explorer.sort_label, key="sort"
)
ui.keep_in_url("sort", sort, explorer.DEFAULT_SORT)
ui.url_value("desc", ui.parse_bool, False)
descending = desc_col.toggle(_("Descending"), key="desc")
ui.keep_in_url("desc", descending, False)
ui.url_value("size", ui.parse_choice(explorer.PAGE_SIZES), explorer.DEFAULT_PAGE_SIZE)
size = size_col.selectbox(_("Rows per page"), explorer.PAGE_SIZES, key="size")
ui.keep_in_url("size", size, explorer.DEFAULT_PAGE_SIZE)
# The matches counted per review (and status or response, if sorted by it): the total, and
# which of them a page shows (tracker.explorer: a page reads its own rows, not every id).
groups = ui.query(explorer.match_groups, f, sort)
total = explorer.total(groups)

pages = explorer.page_count(total, size)
# A new search, filter, sort or page size starts again at page 1.
page = ui.page_number("page", pages, (f.cache_key(), sort, descending, size), where=page_col)

rows = ui.query(explorer.explorer_page, f, sort, descending, int(page), size, groups)
first = (int(page) - 1) * size + 1
st.markdown(
    _("**{first}–{last}** of **{total}** recommendations. Choose a row to open it.").format(
        first=number(first), last=number(first + len(rows) - 1), total=number(total)
    )
)
shown = display_frames.labelled(rows)
# The columns this page is about, fitting a 1440-px screen (tracker.columns says which).
several = ui.query(columns.several_states, f)
view_columns = columns.shown(shown, columns.EXPLORER, several_states=several)
# Editors may tick several rows to assess them together; otherwise choosing a row opens it.
ticking = ui.can_write() and st.toggle(_("Tick rows to assess several at once"), key="ticking")
if ticking:
    ticked = ui.ticked_table(
        shown, view_columns, optional=columns.EXPLORER_OPTIONAL, key="explorer_ticks"
    )
else:
    ticked = []
    chosen = ui.table(
        shown,
        view_columns,
        optional=columns.EXPLORER_OPTIONAL,
        key="explorer_table",
        select=True,
    )
    if chosen is not None:
        ui.open_recommendation(chosen)
ui.bulk_assessment_form(f, total, ticked)  # editors: one assessment for the selection

st.caption(
    _(
        "The downloads hold all {total} recommendations matching the filters (not only this "
        "page), in the project's template, which can be imported again."
    ).format(total=number(total))
)
private = ui.private_choice(
    "explorer_private",
    help=_("The Excel file's Assessments sheet then lists private assessments too."),
)
ui.downloads(
    ui.file_stem("upr-recommendations-private" if private else "upr-recommendations", f),
    lambda s, fmt: exports.filtered_export(s, f, fmt, include_private=private),  # type: ignore[arg-type]
    key="explorer_download",
)
