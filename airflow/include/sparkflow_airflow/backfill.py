"""Pure logic of the users_backfill DAG: which days to request and when a day's batch is done.

No Airflow and no I/O here, so every rule is unit-tested in milliseconds (tests/unit/test_backfill_logic.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import shlex
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

MAX_DAYS = 366  # ingestion refuses longer backfills; failing here names the param instead of an HTTP 400

# The first day ingestion takes in a backfill (EARLIEST_BACKFILL_DAY in libs/ingestion-core's
# backfills.service.ts): each person's event is stamped on their day, and SparkFlow stores no event time
# before the epoch.
EARLIEST_DAY = "1970-01-01"


def refuse_days_ingestion_refuses(start: str, end: str, now: datetime) -> None:
    """Raises ValueError naming `from` / `to` when a day of the range is one ingestion refuses
    (backfillDayErrors in libs/ingestion-core): a day after today (UTC), whose people would register in the
    future, or one before EARLIEST_DAY. Today's bound only moves later, so a day that passes now passes when a
    request of the run reaches ingestion."""
    latest = now.astimezone(UTC).date().isoformat()
    problems = []
    for name, day in (("from", start), ("to", end)):
        if day > latest:
            problems.append(
                f"`{name}` ({day}) is after today ({latest} UTC): its people would register in the future, "
                "which ingestion refuses"
            )
        elif day < EARLIEST_DAY:
            problems.append(
                f"`{name}` ({day}) is before {EARLIEST_DAY}: its people's events would be stamped on it, and "
                "SparkFlow stores no event time before 1970-01-01T00:00:00Z"
            )
    if problems:
        raise ValueError("; ".join(problems) + " (no day was requested)")


def plan_days(start: str, end: str) -> list[str]:
    """Every ISO day from `start` to `end`, inclusive."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if first > last:
        raise ValueError(f"`from` ({start}) is after `to` ({end})")
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    if len(days) > MAX_DAYS:
        raise ValueError(f"{len(days)} days requested; at most {MAX_DAYS} per backfill")
    return days


# How fast a backfill is assumed to go through the whole pipeline when its wait is bounded: well under what
# the stack reaches on a laptop (about 1,000-2,500 people/s in the README's benchmarks), so a busy or small
# machine still finishes in time.
CONSERVATIVE_PEOPLE_PER_SECOND = 100
# The largest backfill the params allow (per_day's maximum, over MAX_DAYS days).
MAX_PER_DAY = 100_000


def sensor_timeout(per_day: int, days: int, floor_seconds: float) -> float:
    """How long a day's batch may take to settle, from its request: the whole run's people (every day is
    requested at once, and ingestion works a few backfills at a time) at CONSERVATIVE_PEOPLE_PER_SECOND, and
    never less than `floor_seconds` (SPARKFLOW_SENSOR_TIMEOUT_SECONDS, 1 h by default)."""
    return max(float(floor_seconds), math.ceil(per_day * days / CONSERVATIVE_PEOPLE_PER_SECOND))


def overdue(requested_at: str, timeout_seconds: float, now: datetime) -> float | None:
    """Seconds waited since `requested_at` (ISO) when more than `timeout_seconds`, else None."""
    waited = (now - datetime.fromisoformat(requested_at)).total_seconds()
    return waited if waited > timeout_seconds else None


def aggregation_run_id(run_id: str, day: str) -> str:
    """The run of users_daily_aggregates a users_backfill run makes for one of its days: the same for every
    try and clear of that run, so it is made once."""
    return f"backfill__{run_id}__{day}"


def batch_id(seed: str, day: str) -> str:
    """Ingestion's deterministic batch id for one backfill day (backfillBatchId in libs/ingestion-core)."""
    return f"backfill-{seed}-{day}"


def utf16_units(text: str) -> int:
    """The length of `text` as JavaScript (and the audit's batch-id limit) counts it: UTF-16 code units, 2 for a
    character outside the Basic Multilingual Plane (an emoji), where a Param's maxLength counts 1."""
    return len(text.encode("utf-16-le")) // 2


def seed_problem(seed: str, batch_id_max: int) -> str | None:
    """Why `seed` cannot name a backfill's batches, or None: `backfill-<seed>-<day>` must fit the batch id's
    `batch_id_max` UTF-16 units (the envelope's maxLength in libs/contracts/generated)."""
    longest = utf16_units(batch_id(seed, "2000-01-01"))
    if longest <= batch_id_max:
        return None
    room = batch_id_max - utf16_units(batch_id("", "2000-01-01"))
    return (
        f"`seed` is {utf16_units(seed)} UTF-16 units long; at most {room} fit, since its batch ids "
        f"backfill-<seed>-<day> may have at most {batch_id_max} UTF-16 units (a character outside the Basic "
        "Multilingual Plane, such as an emoji, counts 2)"
    )


def backfill_idempotency_key(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """The `Idempotency-Key` a task instance starts its backfill under: the same on every try of the task
    instance (so a retry resumes the backfill its earlier try may have started), another for another DAG run,
    task or mapped day. Never the try number. A digest, so whatever a run id holds (users name manual runs)
    the key is 1-255 visible ASCII characters, as ingestion requires."""
    identity = json.dumps([dag_id, run_id, task_id, map_index], ensure_ascii=True)
    return "airflow-" + hashlib.sha256(identity.encode()).hexdigest()


def ingestion_stopped(progress: dict[str, Any], batch: str) -> str | None:
    """Why a batch's sensor must fail at once because of its backfill as ingestion answers it, or None.

    A `failed` backfill names ingestion's error; a `cancelled` one (`DELETE /v1/backfills/:id`, ADR 22)
    will never produce the rest of the batch, so waiting for the audit would only end at the timeout.
    """
    status = progress.get("status")
    if status == "failed":
        return f"ingestion failed to produce {batch}: {progress.get('error', 'no reason given')}"
    if status == "cancelled":
        produced = sum(int(b.get("produced", 0)) for b in progress.get("batches", []))
        expected = sum(int(b.get("expected", 0)) for b in progress.get("batches", []))
        return (
            f"backfill {progress.get('id')} of {batch} was cancelled in ingestion after {produced} of "
            f"{expected} people were produced: the batch will not be completed (the people produced flow on)"
        )
    return None


def dead_letters_command(batch: str) -> str:
    """The CLI command that lists a batch's dead letters with their reasons, ready to paste into a shell."""
    return f"npx sparkflow dlq list --batch {shlex.quote(batch)}"


@dataclass(frozen=True)
class Baseline:
    """The audit's counts for a batch before this run asked for it: a rerun reuses the batch id, and the
    audit counts events (fresh ids per run), so progress is measured from here."""

    ingested: int = 0
    dead_lettered: int = 0

    @classmethod
    def from_counts(cls, counts: dict[str, Any] | None) -> Baseline:
        if not counts:
            return cls()
        return cls(ingested=int(counts.get("ingested") or 0), dead_lettered=int(counts.get("deadLettered") or 0))


def baseline_key(backfill_id: str) -> str:
    """The Airflow Variable that keeps the baseline a backfill is measured from (`BaselineStore`)."""
    return f"sparkflow.users_backfill.baseline.{backfill_id}"


def measure_from(kept: dict[str, Any] | None, planned: dict[str, int]) -> tuple[dict[str, int], bool]:
    """The baseline a backfill's progress is measured from, and whether an earlier try made the backfill.

    `kept` is what the first try that got this backfill from ingestion stored under its id (`baseline_key`);
    `planned` is what this try's `plan_days` read. A cleared run (or one deleted and re-created with the same
    run id) reads its baseline again, after its own events: the backfill ingestion answers under the same
    Idempotency-Key is the one it already made, so the baseline kept with it, read before it started, still
    holds, and the run waits for exactly its events again. A backfill nobody kept a baseline for is new (or
    its key expired after 24 h and ingestion started another one, with another id): `planned` holds."""
    if kept and isinstance(kept.get("baseline"), dict):
        base = kept["baseline"]
        return {"ingested": int(base.get("ingested") or 0), "dead_lettered": int(base.get("dead_lettered") or 0)}, True
    return dict(planned), False


class BaselineStore:
    """Baselines kept per backfill id in Airflow Variables, which survive a clear or a deleted run (XComs do
    not). Tests replace it."""

    def get(self, backfill_id: str) -> dict[str, Any] | None:
        from airflow.sdk import Variable

        return Variable.get(baseline_key(backfill_id), default=None, deserialize_json=True)

    def set(self, backfill_id: str, value: dict[str, Any]) -> None:
        from airflow.sdk import Variable

        Variable.set(
            baseline_key(backfill_id),
            value,
            description="users_backfill: the audit's counts before this backfill started",
            serialize_json=True,
        )


Verdict = Literal["wait", "done", "fail"]


@dataclass(frozen=True)
class BatchState:
    verdict: Verdict
    message: str


def judge_batch(
    counts: dict[str, Any] | None,
    *,
    expected: int,
    baseline: Baseline,
    max_dead_letter_ratio: float,
) -> BatchState:
    """Reads the audit's `GET /v1/batches/:id` answer: done once this run's `expected` events arrived and
    every event of the batch settled (persisted or dead-lettered); fail when too many dead-lettered: once
    every event settled, by dead-lettered / ingested; before, only when that is certain already, the dead
    letters so far being over the threshold of every event the run will have. The events that arrived first
    are a sample, not the batch: a few bad ones among them must not fail a day whose whole is under it."""
    if not counts:
        return BatchState("wait", "the audit has not seen the batch yet")
    ingested = int(counts.get("ingested") or 0) - baseline.ingested
    dead = int(counts.get("deadLettered") or 0) - baseline.dead_lettered
    settled_total = int(counts.get("persisted") or 0) + int(counts.get("deadLettered") or 0)
    ingested_total = int(counts.get("ingested") or 0)
    summary = (
        f"{counts.get('batchId')}: ingested {ingested}/{expected} this run, dead-lettered {dead}, "
        f"settled {settled_total}/{ingested_total} in total"
    )
    # `complete` is the audit's own reconciliation; the deltas make it about this run, not an earlier one.
    settled = bool(counts.get("complete")) and ingested >= expected and settled_total >= ingested_total
    # Settled, the run's events are all in; before, they will be at least `expected`, so dead letters over
    # the threshold of that many already fail the run whatever the rest become.
    ratio = dead / max(ingested, 1) if settled else dead / max(ingested, expected, 1)
    if ratio > max_dead_letter_ratio:
        return BatchState(
            "fail",
            f"{summary}: dead-letter ratio {ratio:.1%} exceeds the threshold {max_dead_letter_ratio:.1%}"
            + ("" if settled else f" of the {max(ingested, expected)} events this run will have"),
        )
    return BatchState("done" if settled else "wait", summary)
