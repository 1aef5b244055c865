"""The wire protocol: JSON only, every field checked on arrival, clear errors."""

from __future__ import annotations

import json

import pytest

from hpo.distributed import wire

REPORT = wire.Report(study_id=1, trial_id=2, attempt=0, token="t", used_params={}, user_attrs={"k": [1]}, seq=3,
                     step=4, value=0.5)


def test_round_trip() -> None:
    assert wire.parse(REPORT.to_json(), wire.Report) == REPORT
    assert wire.parse(REPORT.to_json().encode()) == REPORT


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(step="4"), "Report.step must be int"),
        (lambda d: d.update(step=True), "Report.step must be int"),
        (lambda d: d.update(value=None), "Report.value must be float"),
        (lambda d: d.pop("token"), "lacks field 'token'"),
        (lambda d: d.update(extra=1), "unknown fields"),
        (lambda d: d.update(v=99), "Protocol version 99"),
        (lambda d: d.update(type="pickle"), "Unknown message type"),
        (lambda d: d.update(user_attrs=[1]), "user_attrs must be dict"),
    ],
)
def test_invalid_messages_are_refused_with_the_field_named(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(REPORT.to_json())
    mutate(data)
    with pytest.raises(wire.WireError, match=message):
        wire.parse(json.dumps(data), wire.Report)


def test_not_json_and_wrong_kind() -> None:
    with pytest.raises(wire.WireError, match="not valid JSON"):
        wire.parse(b"\x80\x04\x95 pickled")
    with pytest.raises(wire.WireError, match="JSON object"):
        wire.parse("[1, 2]")
    with pytest.raises(wire.WireError, match="Expected a Finish"):
        wire.parse(REPORT.to_json(), wire.Finish)
