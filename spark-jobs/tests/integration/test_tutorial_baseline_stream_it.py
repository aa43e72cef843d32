"""tutorial_baseline_stream on the real stack, run with --available-now through the module runner and
through spark-submit: one row per login.uuid, string postcodes intact, registered_date filled (the
tutorial's defects, gone), the same result either way."""
from __future__ import annotations

import uuid

import pytest

from ..events import raw_event
from .conftest import run_job


def raw(login_uuid: str, postcode: str | int, email: str) -> str:
    return raw_event(login_uuid, postcode, email=email, street=(1, "Main St"), place=("Town", "State", "Country"),
                     registered="2010-05-06T07:08:09.000Z", phone="1", batch_id="it-baseline",
                     produced_at="2026-11-26T10:00:00.000Z")


@pytest.mark.parametrize("launcher", ["module", "submit-local"])
def test_baseline_keys_by_login_uuid_and_keeps_postcodes(launcher, cfg, cql, kafka_topic, produce, tmp_path):
    ids = {"gb": str(uuid.uuid4()), "ca": str(uuid.uuid4()), "us": str(uuid.uuid4())}
    records = [
        (ids["gb"], raw(ids["gb"], "EC1A 1BB", "old@example.org")),
        (ids["ca"], raw(ids["ca"], "K1A 0B1", "ca@example.org")),
        (ids["us"], raw(ids["us"], 90210, "us@example.org")),
        (ids["gb"], raw(ids["gb"], "EC1A 1BB", "new@example.org")),  # the same person again: same row
    ]
    produce(kafka_topic, records)
    checkpoint = str(tmp_path / "baseline-checkpoint")
    try:
        run_job(launcher, "tutorial_baseline_stream", "--topic", kafka_topic, "--checkpoint", checkpoint, "--available-now")
        rows = {r.id: r for r in (cql.execute("SELECT * FROM tutorial_users WHERE id = %s", (i,)).one() for i in ids.values()) if r}
        assert set(rows) == set(ids.values())
        assert {i: rows[i].postcode for i in ids.values()} == {ids["gb"]: "EC1A 1BB", ids["ca"]: "K1A 0B1", ids["us"]: "90210"}
        assert all(r.registered_date == "2010-05-06T07:08:09.000Z" for r in rows.values())
        assert rows[ids["gb"]].email == "new@example.org"  # the later record of one person wins
        assert rows[ids["gb"]].address == "1 Main St, Town, State, Country"
    finally:
        for i in ids.values():
            cql.execute("DELETE FROM tutorial_users WHERE id = %s", (i,))
