"""Issue 19.4: a CSV is decoded and read a piece at a time (tracker.importers.files.stream_csv),
yet every row is still checked before anything is written: a problem found late in the file
stores nothing and names its row, as when the whole file was read first."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracker.importers.encodings as encodings_module
from tests.importer_support import (
    UPR_INFO_HEADER,
    backups_in_tmp,  # noqa: F401 - an autouse fixture
    csv_bytes,
    new_engine,
    run_import,
    stats,
    upr_row,
)
from tracker.importers import ImportSource, read_file

ROWS = 6000  # about 2 MB: the last rows come from the file's third megabyte


def _rows(n: int = ROWS) -> list[list[str]]:
    words = ["protect", "the", "rights", "of", "women", "children", "with", "disabilities"]
    return [
        upr_row(
            text_=f"Recommendation {i}: " + " ".join(words[(i + k) % 8] for k in range(40)),
            sur=("Kazakhstan", "Chile", "France", "Norway")[i % 4],
            session=("7", "20", "34", "41")[i % 4],
        )
        for i in range(n)
    ]


def test_a_bad_row_late_in_a_streamed_csv_stores_nothing_and_names_the_row(
    tmp_path: Path,
) -> None:
    rows = _rows()
    rows[-2][0] = "Atlantis"
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, rows))
    assert path.stat().st_size > 2 * encodings_module.TEXT_CHUNK
    engine = new_engine(tmp_path)
    report = run_import(engine, [path])
    assert not report.ok
    assert [str(p) for p in report.problems] == [
        f"{path}:{ROWS}: SuR: 'Atlantis' is not a known state (a UN member or observer state, "
        "in any usual spelling)"
    ]
    assert stats(engine)["recommendations"] == 0
    # with --skip-invalid the other rows are imported, that one listed
    report = run_import(engine, [path], skip_invalid=True)
    assert (report.added, report.rows_rejected) == (ROWS - 1, 1)


@pytest.mark.parametrize("cell", ["Long " * 500, "Long\n" * 500], ids=["one line", "500 lines"])
def test_a_cell_over_the_limit_late_in_the_file_refuses_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cell: str
) -> None:
    monkeypatch.setenv("UPR_TRACKER_MAX_CELL_CHARS", "2000")
    rows = _rows()
    rows[-1][3] = cell
    path = tmp_path / "long_cell.csv"
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, rows))
    engine = new_engine(tmp_path)
    report = run_import(engine, [path], skip_invalid=True)
    (file_report,) = report.files
    assert file_report.fatal == (
        f"row {ROWS + 1}, column 4: the cell holds 2,500 characters; at most 2,000 are "
        "allowed (UPR_TRACKER_MAX_CELL_CHARS)"
    )
    # the rows read before it are not reported as read, valid or imported
    assert (file_report.rows_read, file_report.rows_valid, file_report.parsed) == (0, 0, [])
    assert [str(p) for p in report.problems] == [f"{path}: {file_report.fatal}"]
    assert stats(engine)["recommendations"] == 0


def test_a_file_over_the_row_limit_is_refused_when_its_rows_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPR_TRACKER_MAX_ROWS", str(ROWS - 10))
    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, _rows()))
    engine = new_engine(tmp_path)
    report = run_import(engine, [path], skip_invalid=True)
    assert report.fatal
    assert f"more than {ROWS - 10:,} rows" in report.problems[0].message
    assert stats(engine)["recommendations"] == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_characters_split_between_two_pieces_of_the_file_read_whole(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encodings_module, "TEXT_CHUNK", 7)  # a piece ends inside characters
    texts = [f"Guaraní — “{i}” São Tomé, Türkiye 𝄞 ✓." for i in range(40)]
    data = csv_bytes(UPR_INFO_HEADER, [upr_row(text_=t) for t in texts], encoding=encoding)
    report = read_file(ImportSource("split.csv", data))
    assert report.encoding == encoding
    assert [p.rec.text for p in report.parsed] == texts


def test_an_invalid_byte_far_into_the_file_is_named_by_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(encodings_module, "TEXT_CHUNK", 64)
    good = csv_bytes(UPR_INFO_HEADER, _rows(30), encoding="utf-8-sig")
    data = good + "Chile;GRULAC;OAS;Droits de l’homme".encode() + b"\xff;France\r\n"
    report = read_file(ImportSource("bad.csv", data))
    assert report.fatal == (
        # counted after the byte-order mark, as ever
        f"the file says it is UTF-8 with BOM text but byte {len(data) - 10 - 3} is not "
        "(invalid start byte)"
    )


@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_control_characters_late_in_a_streamed_csv_are_removed_and_named(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of the pieces before the first control character skip the per-row check: the
    row holding one, far into the file, is still cleaned and named."""
    monkeypatch.setattr(encodings_module, "TEXT_CHUNK", chunk)
    rows = _rows(60)
    rows[50][3] = "Adopt\x00 a plan\x07 now"
    rows[55][9] = "Justice\x7f"
    report = read_file(ImportSource("late.csv", csv_bytes(UPR_INFO_HEADER, rows)))
    removed = "control characters removed (invisible, they cannot be printed); the row is"
    assert [str(p).split(":", 3)[:3] for p in report.problems if removed in p.message] == [
        ["late.csv", "52", " Recommendation"],
        ["late.csv", "57", " Issue"],
    ]
    texts = {p.row: p.rec.text for p in report.parsed}
    assert texts[52] == "Adopt a plan now"
    assert report.parsed[55].rec.themes == ["Justice"]
    assert not any("\x00" in t or "\x07" in t for t in texts.values())


def test_a_file_named_by_path_is_read_again_when_a_review_changed_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes of a file named by its path are let go of once it is read; when a review's
    session changed before the write lock was taken, the file is read again from its path
    (and checked against the reviews as they are then)."""
    import tracker.importers as importers_module

    engine = new_engine(tmp_path)
    path = tmp_path / "u.csv"
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, _rows(40)))
    # as if the reviews had changed while the file was read
    monkeypatch.setattr(importers_module, "_sessions_before_lock", lambda _s: {("XXX", 1): 1})
    reads: list[str] = []
    real = ImportSource.from_path

    def spy(p, limits=None):
        reads.append(str(p))
        return real(p, limits)

    monkeypatch.setattr(ImportSource, "from_path", staticmethod(spy))
    report = run_import(engine, [path])
    assert reads == [str(path), str(path)]
    assert (report.ok, report.added) == (True, 40)
    assert stats(engine)["recommendations"] == 40
    # a file gone by then is named, and nothing is written
    path.write_bytes(csv_bytes(UPR_INFO_HEADER, _rows(50)))
    real_read = importers_module.read_file

    def read_then_delete(*args, **kwargs):
        got = real_read(*args, **kwargs)
        path.unlink(missing_ok=True)
        return got

    monkeypatch.setattr(importers_module, "read_file", read_then_delete)
    report = run_import(engine, [path])
    assert report.fatal
    assert [str(p) for p in report.problems] == [f"{path}: there is no such file"]
    assert stats(engine)["recommendations"] == 40
