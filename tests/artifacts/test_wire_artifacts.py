"""The wire's ``artifacts`` field: artifact metas a worker's trial sends, validated field by field on arrival."""

from __future__ import annotations

from typing import Any

import pytest

from hpo.distributed import wire
from hpo.exceptions import WireError

HEADER = {"study_id": 1, "trial_id": 2, "attempt": 0, "token": "t", "used_params": {}, "user_attrs": {}}
RECORD = {"artifact_id": "0b7c", "filename": "model.json.gz", "mimetype": "application/json", "encoding": "gzip"}


def _report(**fields: Any) -> dict[str, Any]:
    return {"type": "report", "v": wire.VERSION, **HEADER, "seq": 1, "step": 0, "value": 0.5, **fields}


def test_artifacts_travel_on_suggest_report_and_finish() -> None:
    messages = [
        wire.Suggest(**HEADER, seq=1, name="x", distribution="{}", artifacts=[RECORD]),  # type: ignore[list-item]
        wire.Report(**HEADER, seq=2, step=0, value=0.5, artifacts=[RECORD, {**RECORD, "encoding": None}]),  # type: ignore[list-item]
        wire.Finish(**HEADER, state="COMPLETE", values=[1.0], fail_reason=None, duration_s=0.1,
                    artifacts=[RECORD]),  # type: ignore[list-item]
    ]
    for message in messages:
        assert wire.parse(message.to_json()) == message


def test_a_message_without_the_field_is_still_accepted() -> None:
    """Workers of the version before artifacts send no such field."""
    assert wire.parse(_report(), wire.Report).artifacts is None


@pytest.mark.parametrize("artifacts", [
    [{**RECORD, "artifact_id": 7}],
    [{k: v for k, v in RECORD.items() if k != "mimetype"}],
    [{**RECORD, "path": "/etc/passwd"}],
    [{**RECORD, "encoding": ["gzip"]}],
    [RECORD, "model.json.gz"],
    {"0b7c": RECORD},
    "0b7c",
])
def test_a_malformed_artifact_record_is_refused(artifacts: Any) -> None:
    with pytest.raises(WireError, match=r"Report\.artifacts must be list of an object with exactly the fields "
                                        r"\['artifact_id', 'encoding', 'filename', 'mimetype'\] or null"):
        wire.parse(_report(artifacts=artifacts), wire.Report)
