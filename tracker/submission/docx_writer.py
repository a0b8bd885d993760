"""The Word writer of a stakeholder report, in the form of a UPR stakeholder submission
(real Word numbering, page numbers, a "sample data" watermark on sample records)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from tracker.evidence import private_notice
from tracker.i18n import _
from tracker.safe_output import link_target, printable
from tracker.submission.document import EvidenceTable, Heading, Para, Report, Run, sample_notice

FONT = "Arial"  # Liberation Sans (metric-compatible) where Arial is not installed
NUMBER_INDENT_TWIPS = 567  # 1 cm: the numbers hang in the margin of the paragraph text
HEADING_COLOUR = RGBColor(0x1F, 0x3A, 0x5F)
SAMPLE_COLOUR = RGBColor(0xC0, 0x39, 0x2B)


# --- Word ----------------------------------------------------------------------------------------
def _add_numbering(doc: Any) -> int:
    """Add a one-level decimal numbering ("1.", "2.", …) to the document; return its numId."""
    numbering = doc.part.numbering_part.element
    abstract_ids = [
        int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))
    ]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id = max(abstract_ids, default=-1) + 1
    num_id = max(num_ids, default=0) + 1
    abstract = parse_xml(
        f'<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        f' w:abstractNumId="{abstract_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{NUMBER_INDENT_TWIPS}" w:hanging="{NUMBER_INDENT_TWIPS}"/>'
        "</w:pPr></w:lvl>"
        "</w:abstractNum>"
    )
    # The schema wants every abstractNum before the first num.
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = parse_xml(
        f'<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        f' w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
    )
    numbering.append(num)
    return num_id


def _number(paragraph: DocxParagraph, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def _add_field(paragraph: DocxParagraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        else:
            run.text = text or ""  # a text part (kind None) always has its text
    end = paragraph.add_run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "end")
    end._r.append(fld)


def _add_hyperlink(paragraph: DocxParagraph, text: str, url: str, size: Pt | None) -> None:
    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = paragraph.add_run(text)
    run.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    run.font.underline = True
    if size:
        run.font.size = size
    link.append(run._r)  # moves the run inside the hyperlink
    paragraph._p.append(link)


FOOTNOTES_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTE_SIZE_HALF_POINTS = "18"  # 9 pt, as the evidence tables


class _Footnotes:
    """The document's footnotes part (``word/footnotes.xml``), written by hand: python-docx
    has no footnote API. Word wants the two separator notes (ids -1 and 0) first and each
    note's first run to carry ``w:footnoteRef`` (the number Word draws in the note)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.part: XmlPart | None = None
        self.next_id = 1

    def _ensure_part(self) -> XmlPart:
        if self.part is None:
            element = parse_xml(
                f'<w:footnotes xmlns:w="{W_NS}" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0"'
                ' w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p>'
                "</w:footnote>"
                '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr>'
                '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r>'
                "<w:continuationSeparator/></w:r></w:p></w:footnote>"
                "</w:footnotes>"
            )
            package = self.doc.part.package
            self.part = XmlPart(
                PackURI("/word/footnotes.xml"), FOOTNOTES_CONTENT_TYPE, element, package
            )
            self.doc.part.relate_to(self.part, RELATIONSHIP_TYPE.FOOTNOTES)
        return self.part

    def add(self, paragraph: DocxParagraph, runs: Iterable[Run]) -> None:
        """A footnote holding ``runs``, referenced at the end of ``paragraph`` so far."""
        part = self._ensure_part()
        note_id = str(self.next_id)
        self.next_id += 1
        # The reference in the body: a superscript number.
        ref_run = paragraph.add_run()._r
        ref_run.get_or_add_rPr().append(_superscript())
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), note_id)
        ref_run.append(ref)
        # The note: its number, then the text (plain runs; links as hyperlinks of the
        # footnotes part). Text goes in through lxml, which escapes it.
        note = OxmlElement("w:footnote")
        note.set(qn("w:id"), note_id)
        p = OxmlElement("w:p")
        p_pr = OxmlElement("w:pPr")
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:after"), "0")
        p_pr.append(spacing)
        p.append(p_pr)
        number = OxmlElement("w:r")
        number.append(_superscript(wrap=True))
        number.append(OxmlElement("w:footnoteRef"))
        p.append(number)
        p.append(_text_run(" "))
        for r in runs:
            target = link_target(r.url) if r.url else None  # only http(s), percent-encoded
            run = _text_run(r.text, italic=r.italic, bold=r.bold, link=bool(target))
            if target:
                link = OxmlElement("w:hyperlink")
                link.set(qn("r:id"), part.relate_to(target, RELATIONSHIP_TYPE.HYPERLINK, True))
                link.append(run)
                p.append(link)
            else:
                p.append(run)
        note.append(p)
        part.element.append(note)


def _superscript(wrap: bool = False) -> Any:
    va = OxmlElement("w:vertAlign")
    va.set(qn("w:val"), "superscript")
    if not wrap:
        return va
    r_pr = OxmlElement("w:rPr")
    r_pr.append(va)
    return r_pr


def _text_run(text: str, *, italic: bool = False, bold: bool = False, link: bool = False) -> Any:
    """A ``w:r`` of footnote text (9 pt), its properties in the schema's order."""
    run = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    if bold:
        r_pr.append(OxmlElement("w:b"))
    if italic:
        r_pr.append(OxmlElement("w:i"))
    if link:
        colour = OxmlElement("w:color")
        colour.set(qn("w:val"), "0563C1")
        r_pr.append(colour)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), FOOTNOTE_SIZE_HALF_POINTS)
    r_pr.append(size)
    if link:
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        r_pr.append(underline)
    run.append(r_pr)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = printable(text)
    run.append(t)
    return run


def _add_runs(
    paragraph: DocxParagraph,
    runs: Iterable[Run],
    size: Pt | None = None,
    footnotes: _Footnotes | None = None,
) -> None:
    for r in runs:
        if r.footnote:
            if footnotes is not None:
                footnotes.add(paragraph, r.footnote)
            continue
        target = link_target(r.url) if r.url else None
        text = printable(r.text)  # stored text: no control character reaches the XML
        if target:  # never a javascript: or data: hyperlink in the document
            _add_hyperlink(paragraph, text, target, size)
            continue
        run = paragraph.add_run(text)
        run.bold = r.bold or None
        run.italic = r.italic or None
        if size:
            run.font.size = size


def _watermark(header: Any, text: str) -> None:
    """A diagonal "sample data" watermark behind every page (Word's own VML form, which
    LibreOffice also shows)."""
    p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    p._p.append(
        parse_xml(
            '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' xmlns:v="urn:schemas-microsoft-com:vml"'
            ' xmlns:o="urn:schemas-microsoft-com:office:office"><w:pict>'
            '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"'
            ' path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
            '<v:textpath on="t" fitshape="t"/></v:shapetype>'
            '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136"'
            ' style="position:absolute;margin-left:0;margin-top:0;width:470pt;height:110pt;'
            "rotation:315;z-index:-251655168;mso-position-horizontal:center;"
            "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
            'mso-position-vertical-relative:margin" o:allowincell="f" fillcolor="#E8A09A"'
            ' stroked="f"><v:fill opacity=".5"/>'
            f'<v:textpath style="font-family:&quot;{FONT}&quot;;font-size:1pt" string="{text}"/>'
            "</v:shape></w:pict></w:r>"
        )
    )


def _style_document(doc: Any) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 12)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = HEADING_COLOUR
        style.font.bold = True
        style.font.italic = False
        rfonts = style.element.rPr.rFonts
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
        style.paragraph_format.space_before = Pt(14 if name == "Heading 1" else 8)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True


def to_docx(report: Report) -> bytes:
    """The report as a Word document in the form of a UPR stakeholder submission."""
    doc = Document()
    _style_document(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as OHCHR's templates
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    props = doc.core_properties
    # Word's core properties hold at most 255 characters each.
    # Every text below may hold stored text (a state's or organisation's name, a theme): it
    # goes in through printable(), or python-docx refuses control characters with a ValueError.
    props.title = printable(f"{report.title} — {report.subtitle}")[:255]
    props.author = printable(", ".join(report.organisations) or "UPR Tracker")[:255]
    props.keywords = printable("; ".join(report.keywords))[:255]
    props.comments = _("Made with UPR Tracker")

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(
        _("{state} — UPR session {session}").format(
            state=printable(report.state_name), session=report.session
        )
        + " — "
        + _("page")
        + " "
    )
    _add_field(footer, "PAGE")
    footer.add_run(" " + _("of") + " ")
    _add_field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(9)

    if report.is_sample:
        header = section.header
        hp = header.paragraphs[0]
        hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = hp.add_run(sample_notice())
        run.bold = True
        run.font.size = Pt(9)
        run.font.color.rgb = SAMPLE_COLOUR
        _watermark(header, _("sample data").upper())

    if report.includes_private:
        warning = doc.add_paragraph()
        run = warning.add_run(private_notice())
        run.bold = True
        run.font.color.rgb = SAMPLE_COLOUR

    # Title block.
    p = doc.add_paragraph(printable(report.byline.upper()))
    p.runs[0].font.size = Pt(10)
    p.runs[0].font.color.rgb = HEADING_COLOUR
    p.runs[0].bold = True
    doc.add_paragraph(printable(report.title), style="Title")
    p = doc.add_paragraph()
    run = p.add_run(printable(report.subtitle))
    run.bold = True
    run.font.size = Pt(12)
    doc.add_paragraph(printable(report.generated_label))
    if report.keywords:
        p = doc.add_paragraph()
        p.add_run(_("Key words:") + " ").bold = True
        p.add_run(printable("; ".join(report.keywords)))

    num_id = _add_numbering(doc)
    footnotes = _Footnotes(doc)
    for b in report.blocks:
        if isinstance(b, Heading):
            doc.add_heading(printable(b.text), level=b.level)
        elif isinstance(b, Para):
            p = doc.add_paragraph()
            if b.note:
                p.paragraph_format.left_indent = Cm(1.0)
                p.paragraph_format.space_after = Pt(2)
                p.paragraph_format.keep_with_next = True
                _add_runs(p, (replace(r, italic=True) for r in b.runs), Pt(9))
            else:
                _add_runs(p, b.runs, footnotes=footnotes)
            if b.keep_with_next:
                p.paragraph_format.keep_with_next = True
            if b.numbered:
                _number(p, num_id)
        else:
            _add_table(doc, b)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _add_table(doc: Any, table_block: EvidenceTable) -> None:
    """A compact evidence table, indented to the text of the numbered paragraphs."""
    widths = (Cm(2.2), Cm(3.6), Cm(2.7), Cm(6.5))  # 15 cm: the text width less the indent
    table = doc.add_table(rows=1, cols=len(table_block.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(NUMBER_INDENT_TWIPS))
    indent.set(qn("w:type"), "dxa")
    # Word insists on the schema's order of table properties: tblInd comes before these.
    later = [qn(f"w:{t}") for t in ("tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")]
    successor = next((c for c in tbl_pr if c.tag in later), None)
    if successor is not None:
        successor.addprevious(indent)
    else:
        tbl_pr.append(indent)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid: what LibreOffice lays out by
    size = Pt(9)
    header_cells = table.rows[0].cells
    for cell, text, width in zip(header_cells, table_block.header, widths, strict=True):
        cell.width = width
        para = cell.paragraphs[0]
        para.paragraph_format.space_after = Pt(0)
        run = para.add_run(printable(text))
        run.bold = True
        run.font.size = size
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "E7EDF3")
        cell._tc.get_or_add_tcPr().append(shading)
    for row in table_block.rows:
        table_row = table.add_row()
        cells = table_row.cells
        for cell, runs, width in zip(cells, row, widths, strict=True):
            cell.width = width
            para = cell.paragraphs[0]
            para.paragraph_format.space_after = Pt(0)
            _add_runs(para, runs, size)
    # A row never breaks across pages; a table that does repeats its header row.
    for i, table_row in enumerate(table.rows):
        tr_pr = table_row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
    # Keep a little air between the table and the next paragraph.
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
