"""The Markdown writer of a stakeholder report (numbered paragraphs as an ordered list;
database text made literal)."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.evidence import private_notice
from tracker.i18n import _
from tracker.safe_output import link_target, md_literal
from tracker.submission.document import Heading, Para, Report, Run, sample_notice


# --- Markdown ------------------------------------------------------------------------------------
def _md(text: str) -> str:
    """Database text made literal in Markdown (raw HTML escaped: tracker.safe_output)."""
    return md_literal(text)


def _md_runs(runs: Iterable[Run], notes: list[str] | None = None) -> str:
    """Runs as Markdown; a footnote reference becomes ``[^n]`` and its note is appended to
    ``notes``."""
    out = []
    for r in runs:
        if r.footnote:
            if notes is not None:
                notes.append(_md_runs(r.footnote))
                out.append(f"[^{len(notes)}]")
            continue
        text = _md(r.text)
        stripped = text.strip()
        if stripped and (r.bold or r.italic):
            mark = "**" if r.bold else "*"
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :]
            text = f"{lead}{mark}{stripped}{mark}{trail}"
        target = link_target(r.url) if r.url else None
        if target:  # only http(s), percent-encoded; anything else stays plain text
            text = f"[{text}](<{target}>)"
        out.append(text)
    return "".join(out)


def to_markdown(report: Report, *, paragraphs: int | None = None) -> str:
    """The report as Markdown (numbered paragraphs as an ordered list).

    With ``paragraphs``, only its beginning: the title block and the body up to numbered
    paragraph ``paragraphs`` (with the response and evidence under it, without a heading
    left hanging at the end), followed by the footnotes of that part; the word count line
    of the end only comes with the whole. The Report page previews a long report this way:
    the start of the very text the download holds, numbered alike (a Markdown renderer
    numbers the footnotes in the order they are cited, so that a part from the start keeps
    the document's footnote numbers). With ``paragraphs`` at or past the last numbered
    paragraph the text is the whole document's."""
    lines = [f"# {_md(report.title)}", "", f"**{_md(report.subtitle)}**  "]
    lines.append(f"{_md(report.byline)}  ")
    lines.append(f"{_md(report.generated_label)}  ")
    if report.keywords:
        lines.append(f"**{_md(_('Key words:'))}** {_md('; '.join(report.keywords))}")
    lines.append("")
    if report.is_sample:
        lines += [f"> **{_md(sample_notice())}**", ""]
    if report.includes_private:
        lines += [f"> **{_md(private_notice())}**", ""]
    number = 0
    notes: list[str] = []
    complete = True
    end = len(lines)  # the lines up to the last block that is not a heading or a lead-in
    for b in report.blocks:
        if isinstance(b, Heading):
            lines += [f"{'#' * (b.level + 1)} {_md(b.text)}", ""]
            continue
        if isinstance(b, Para):
            if b.numbered:
                if paragraphs is not None and number >= paragraphs:
                    complete = False
                    break
                number += 1
                lines += [f"{number}. {_md_runs(b.runs, notes)}", ""]
            elif b.note:
                lines += [f"   *{_md(b.text)}*", ""]
            else:
                lines += [_md_runs(b.runs, notes), ""]
        else:
            lines.append("| " + " | ".join(_md(h) for h in b.header) + " |")
            lines.append("|" + "---|" * len(b.header))
            for row in b.rows:
                lines.append("| " + " | ".join(_md_runs(cell) for cell in row) + " |")
            lines.append("")
        if not (isinstance(b, Para) and b.keep_with_next and not b.numbered):
            end = len(lines)  # a lead-in ("… recommends that …:") goes with what follows
    if complete:
        lines.append(f"*{_md(report.word_count_message())}*")
    else:
        del lines[end:]  # the headings of the part not shown
        if lines[-1] == "":
            lines.pop()
    if notes:
        lines.append("")
        lines += [f"[^{i}]: {note}" for i, note in enumerate(notes, start=1)]
    return "\n".join(lines) + "\n"
