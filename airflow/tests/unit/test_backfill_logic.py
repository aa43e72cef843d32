from __future__ import annotations

import pytest
from sparkflow_airflow.automation import plan_pages
from sparkflow_airflow.backfill import (
    Baseline,
    batch_id,
    dead_letters_command,
    ingestion_stopped,
    judge_batch,
    plan_days,
)


def counts(ingested, persisted, dead=0, expected=None, complete=None):
    settled = persisted + dead
    if complete is None:
        complete = ingested > 0 and settled >= ingested and (expected is None or ingested >= expected)
    return {"batchId": "b", "expected": expected, "ingested": ingested, "enriched": persisted + dead,
            "deadLettered": dead, "persisted": persisted, "complete": complete}


def test_plan_days_is_inclusive():
    assert plan_days("2026-02-27", "2026-03-01") == ["2026-02-27", "2026-02-28", "2026-03-01"]
    assert plan_days("2026-01-01", "2026-01-01") == ["2026-01-01"]


@pytest.mark.parametrize("start,end", [("2026-01-02", "2026-01-01"), ("2025-01-01", "2026-01-05")])
def test_plan_days_refuses_reversed_or_too_long_ranges(start, end):
    with pytest.raises(ValueError):
        plan_days(start, end)


def test_batch_id_matches_ingestion():
    assert batch_id("s1", "2026-01-01") == "backfill-s1-2026-01-01"


def test_waits_until_the_audit_has_the_batch():
    assert judge_batch(None, expected=10, baseline=Baseline(), max_dead_letter_ratio=0.1).verdict == "wait"


def test_waits_while_events_are_in_flight():
    state = judge_batch(counts(10, 7, expected=10), expected=10, baseline=Baseline(), max_dead_letter_ratio=0.1)
    assert state.verdict == "wait"


def test_done_when_every_event_settled():
    state = judge_batch(counts(10, 9, dead=1, expected=10), expected=10, baseline=Baseline(), max_dead_letter_ratio=0.1)
    assert state.verdict == "done"


def test_fails_with_a_clear_message_over_the_threshold():
    state = judge_batch(counts(10, 7, dead=3, expected=10), expected=10, baseline=Baseline(), max_dead_letter_ratio=0.1)
    assert state.verdict == "fail"
    assert "dead-letter ratio 30.0% exceeds the threshold 10.0%" in state.message


def test_rerun_waits_for_its_own_events_not_the_previous_runs():
    before = Baseline.from_counts(counts(10, 10, expected=10))
    # The first run's events alone say complete; this run's have not arrived yet.
    assert judge_batch(counts(10, 10, expected=10), expected=10, baseline=before, max_dead_letter_ratio=0).verdict == "wait"
    assert judge_batch(counts(20, 15, expected=10), expected=10, baseline=before, max_dead_letter_ratio=0).verdict == "wait"
    assert judge_batch(counts(20, 20, expected=10), expected=10, baseline=before, max_dead_letter_ratio=0).verdict == "done"


def test_rerun_judges_dead_letters_of_this_run_only():
    before = Baseline.from_counts(counts(10, 5, dead=5, expected=10))
    state = judge_batch(counts(20, 15, dead=5, expected=10), expected=10, baseline=before, max_dead_letter_ratio=0)
    assert state.verdict == "done"


def test_plan_pages_bounds_the_request_count():
    assert plan_pages(250, 100) == [{"page": 1, "size": 100}, {"page": 2, "size": 100}, {"page": 3, "size": 50}]
    assert plan_pages(5, 100) == [{"page": 1, "size": 5}]
    with pytest.raises(ValueError):
        plan_pages(0, 100)



def test_dead_letters_command_is_one_the_cli_has_and_survives_the_shell():
    import shlex

    batch = "backfill-x/a#f 'b' $HOME-2026-11-12"
    command = dead_letters_command(batch)
    assert shlex.split(command) == ["npx", "sparkflow", "dlq", "list", "--batch", batch]


def test_refuses_before_any_request_every_day_ingestion_refuses():
    from datetime import UTC, datetime, timedelta, timezone

    from sparkflow_airflow.backfill import refuse_days_ingestion_refuses

    now = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    refuse_days_ingestion_refuses("2026-12-01", "2026-12-03", now)
    refuse_days_ingestion_refuses("1970-01-01", "1970-12-31", now)
    with pytest.raises(ValueError, match=r"`to` \(2026-12-04\) is after today \(2026-12-03 UTC\)"):
        refuse_days_ingestion_refuses("2026-12-01", "2026-12-04", now)
    # Today is UTC's, whatever the clock's zone.
    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=5)))
    refuse_days_ingestion_refuses("2026-12-03", "2026-12-03", late)
    with pytest.raises(ValueError, match=r"`from` \(1969-12-31\) is before 1970-01-01: .*no event time before"):
        refuse_days_ingestion_refuses("1969-12-31", "1970-01-02", now)
    with pytest.raises(ValueError, match=r"`from` \(1900-01-01\).*; `to` \(2030-01-01\) is after today"):
        refuse_days_ingestion_refuses("1900-01-01", "2030-01-01", now)


def test_the_wait_scales_with_the_work_with_a_floor_of_the_configured_timeout():
    """A fixed 1 h could not see 100,000 people a day over 366 days through; whatever the params allow is
    given its time at a conservative rate."""
    from datetime import UTC, datetime, timedelta

    from sparkflow_airflow.backfill import MAX_DAYS, MAX_PER_DAY, overdue, sensor_timeout

    assert sensor_timeout(100, 2, 3600) == 3600
    assert sensor_timeout(100_000, 10, 3600) == 10_000
    assert sensor_timeout(MAX_PER_DAY, MAX_DAYS, 3600) == 366_000
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert overdue(at.isoformat(), 3600, at + timedelta(seconds=3600)) is None
    assert overdue(at.isoformat(), 3600, at + timedelta(seconds=3601)) == 3601


def test_the_sensor_allows_the_largest_backfill_the_params_accept():
    from airflow.dag_processing.dagbag import DagBag
    from conftest import DAGS_DIR
    from sparkflow_airflow.backfill import MAX_DAYS, sensor_timeout

    dag = DagBag(dag_folder=str(DAGS_DIR)).dags["users_backfill"]
    sensor = dag.get_task("wait_for_batch")
    largest = sensor_timeout(dag.params.get_param("per_day").schema["maximum"], MAX_DAYS, 3600)
    assert sensor.partial_kwargs["timeout"] >= largest


def test_a_few_dead_letters_among_the_first_events_do_not_fail_a_day_under_the_threshold():
    # 3 of the first 10 dead-lettered (30 %), 3 of the day's 100 in the end (3 %, under 5 %).
    early = judge_batch(counts(10, 7, dead=3, expected=100), expected=100, baseline=Baseline(), max_dead_letter_ratio=0.05)
    assert early.verdict == "wait"
    end = judge_batch(counts(100, 97, dead=3, expected=100), expected=100, baseline=Baseline(), max_dead_letter_ratio=0.05)
    assert end.verdict == "done"


def test_fails_before_the_end_once_the_dead_letters_so_far_exceed_the_threshold_of_the_whole_run():
    state = judge_batch(counts(20, 9, dead=11, expected=100), expected=100, baseline=Baseline(), max_dead_letter_ratio=0.1)
    assert state.verdict == "fail"
    assert "dead-letter ratio 11.0% exceeds the threshold 10.0% of the 100 events this run will have" in state.message


def test_the_verdict_on_any_progress_is_the_verdict_on_the_whole_batch():
    """Seeded property: a batch of `expected` events, some bad, observed at any point while its events
    arrive and settle in any order. No observation fails a batch whose whole is under the threshold, none
    says done before every event settled, and the last says what the whole batch is."""
    import random

    rng = random.Random(20261203)
    for _ in range(400):
        expected = rng.randint(1, 60)
        bad = set(rng.sample(range(expected), rng.randint(0, expected)))
        threshold = rng.choice([0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.99])
        whole_fails = len(bad) / expected > threshold
        arrival = list(range(expected))
        rng.shuffle(arrival)
        # Events settle in any order, often the dead letters first (enrichment refuses before persistence
        # writes), each once it arrived.
        settle = list(arrival)
        rng.shuffle(settle)
        if rng.random() < 0.5:
            settle.sort(key=lambda e: e not in bad)
        lag = rng.randint(0, expected)
        for step in range(3 * expected + 1):
            ingested = arrival[: min(step, expected)]
            settled = [e for e in settle[: max(0, step - lag)] if e in set(ingested)]
            dead = sum(1 for e in settled if e in bad)
            observed = counts(len(ingested), len(settled) - dead, dead=dead, expected=expected)
            verdict = judge_batch(observed, expected=expected, baseline=Baseline(), max_dead_letter_ratio=threshold).verdict
            everything_settled = len(ingested) == expected and len(settled) == expected
            assert not (verdict == "fail" and not whole_fails), (expected, len(bad), threshold, step)
            assert not (verdict == "done" and not everything_settled), (expected, len(bad), threshold, step)
        assert verdict == ("fail" if whole_fails else "done"), (expected, len(bad), threshold)


def test_a_cancelled_backfill_fails_its_sensor_at_once_saying_so():
    progress = {
        "id": "b1",
        "status": "cancelled",
        "batches": [{"batchId": "backfill-s-2026-01-01", "expected": 1000, "produced": 500}],
    }
    assert ingestion_stopped(progress, "backfill-s-2026-01-01") == (
        "backfill b1 of backfill-s-2026-01-01 was cancelled in ingestion after 500 of 1000 people were produced: "
        "the batch will not be completed (the people produced flow on)"
    )


def test_a_failed_backfill_fails_its_sensor_naming_the_error_and_a_running_or_produced_one_does_not():
    assert ingestion_stopped({"status": "failed", "error": "gave up"}, "b") == "ingestion failed to produce b: gave up"
    assert ingestion_stopped({"status": "failed"}, "b") == "ingestion failed to produce b: no reason given"
    for status in ("running", "produced"):
        assert ingestion_stopped({"status": status, "batches": []}, "b") is None
