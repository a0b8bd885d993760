import pytest

from tracker.vocab import (
    Response,
    Status,
    action_category_label,
    cycle_for_session,
    parse_response,
    parse_status,
    sessions_of_cycle,
    status_label,
)


@pytest.mark.parametrize(
    ("session", "cycle"),
    [
        (1, 1),
        (12, 1),
        (13, 2),
        (20, 2),
        (26, 2),
        (27, 3),
        (34, 3),
        (40, 3),
        (41, 4),
        (48, 4),
        (54, 4),
        (55, 5),
        (68, 5),
        (69, 6),
    ],
)
def test_session_maps_to_cycle(session: int, cycle: int) -> None:
    assert cycle_for_session(session) == cycle


def test_sessions_of_cycle_is_the_inverse() -> None:
    for cycle in range(1, 8):
        assert all(cycle_for_session(s) == cycle for s in sessions_of_cycle(cycle))
    assert list(sessions_of_cycle(4)) == list(range(41, 55))


def test_session_zero_is_rejected() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        cycle_for_session(0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Supported", Response.SUPPORTED),
        ("Accepted", Response.SUPPORTED),
        (" noted ", Response.NOTED),
        ("Rejected", Response.NOTED),
        ("Supported/Noted", Response.MIXED),
        ("Under consideration", Response.PENDING),
        ("Not supported", Response.NOT_SUPPORTED),
        ("- Supported", Response.SUPPORTED),
    ],
)
def test_every_response_spelling_is_understood(raw: str, expected: Response) -> None:
    assert parse_response(raw) is expected


def test_unknown_response_is_none() -> None:
    assert parse_response("maybe") is None


def test_status_spellings_and_labels() -> None:
    assert parse_status("Partially implemented") is Status.PARTIALLY_IMPLEMENTED
    assert parse_status("not_implemented") is Status.NOT_IMPLEMENTED
    assert parse_status("no information") is Status.NO_INFORMATION
    assert parse_status("done-ish") is None
    assert status_label("partially_implemented") == "Partially implemented"
    assert status_label(None) == "Not assessed"


def test_action_category_labels() -> None:
    assert action_category_label(4) == "4 – General action"
    assert action_category_label(5) == "5 – Specific action"
    assert action_category_label(None) == ""
