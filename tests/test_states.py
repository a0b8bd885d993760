import csv

import pytest

from tracker.states import (
    StateResolver,
    UnknownStateError,
    is_unknown_marker,
    reference_states,
    resolve_iso3,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Turkey", "Türkiye"),
        ("Cote d'Ivoire", "Côte d'Ivoire"),
        ("United Kingdom", "United Kingdom of Great Britain and Northern Ireland"),
        ("Iran", "Iran (Islamic Republic of)"),
        ("Macedonia FYR", "North Macedonia"),
        ("DPR Korea", "Democratic People's Republic of Korea"),
        ("Laos", "Lao PDR"),
        ("Swaziland", "Eswatini"),
        ("Cape Verde", "Cabo Verde"),
        ("St Kitts & Nevis", "Saint Kitts and Nevis"),
        ("Sao Tome & Principe", "São Tomé and Príncipe"),
        ("Guinea Bissau", "Guinea-Bissau"),
        ("Democratic Republic of Congo", "Congo, The Democratic Republic of the"),
        ("Holy See", "Vatican"),
        ("Palestine", "State of Palestine"),
        ("Micronesia", "Micronesia (Federated States of)"),
        ("Bosnia and Herzegovina\n", "Bosnia & Herzegovina"),
    ],
)
def test_spellings_resolve_to_one_state(a: str, b: str) -> None:
    assert resolve_iso3(a) == resolve_iso3(b)


def test_korea_is_not_confused_with_dpr_korea() -> None:
    assert resolve_iso3("Republic of Korea") == "KOR"
    assert resolve_iso3("DPR Korea") == "PRK"
    assert resolve_iso3("Republic of Congo") == "COG"
    assert resolve_iso3("Democratic Republic of Congo") == "COD"


def test_unknown_name_is_an_error_quoting_it() -> None:
    with pytest.raises(UnknownStateError, match="'Atlantis'"):
        resolve_iso3("  Atlantis\n")


def test_unknown_marker_means_no_state() -> None:
    assert is_unknown_marker("&#40;Unknown&#41;")
    assert is_unknown_marker("(Unknown)")
    assert not is_unknown_marker("Uganda")


def test_reference_covers_un_members_and_observers() -> None:
    states = reference_states()
    assert len(states) == 195
    assert states["KAZ"].regional_group == "Asia-Pacific"
    assert states["MEX"].regional_group == "GRULAC"
    assert states["VAT"].regional_group is None


def test_resolver_creates_one_row_per_state(session) -> None:
    r = StateResolver(session)
    a = r.get("Turkey")
    b = r.get("Türkiye")
    assert a is b
    assert a.iso3 == "TUR"
    assert a.un_name == "Türkiye"
    with pytest.raises(UnknownStateError):
        r.get("Narnia")


@pytest.mark.realdata
def test_every_name_in_the_real_files_resolves(shared_data) -> None:
    names: set[str] = set()
    with (shared_data / "upr_info_recommendations_sessions01-27_export2018-07-25.csv").open(
        encoding="utf-8-sig", newline=""
    ) as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        for row in reader:
            names.update((row[0], row[4]))
    raw = (shared_data / "terman_upr_info_sessions06-09_accepted_noted.csv").read_bytes()
    text = raw.decode("mac_roman").replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(text.splitlines())
    next(reader)
    for row in reader:
        names.update((row[0], row[4]))
    unresolved = sorted(n for n in names if not is_unknown_marker(n) and not _resolves(n))
    assert unresolved == []
    assert len({resolve_iso3(n) for n in names if not is_unknown_marker(n)}) == 195


def _resolves(name: str) -> bool:
    try:
        resolve_iso3(name)
    except UnknownStateError:
        return False
    return True
