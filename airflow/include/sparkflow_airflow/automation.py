"""Pure logic of the user_automation DAG: a bounded pull split into pages, and the people's natural ids.
What the randomuser-compatible API returned is checked against its contract by clients.RandomUserClient."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def run_seed(prefix: str, logical_date: datetime | None, run_after: datetime) -> str:
    """The randomuser seed of a run: `<prefix>-<day>`, the day (UTC) of its logical date, or of its `run_after`
    when it has none (Airflow 3 triggers `airflow dags trigger` and a REST run with `logical_date: null` without
    one), so every day's run gets its own people and a rerun of a run the same ones."""
    when = logical_date if logical_date is not None else run_after
    return f"{prefix}-{when.astimezone(UTC).date().isoformat()}"


def plan_pages(count: int, page_size: int) -> list[dict[str, int]]:
    """`count` users as ceil(count / page_size) requests; the last page may be short."""
    if count < 1 or page_size < 1:
        raise ValueError("count and page_size must be positive")
    pages = []
    for i, start in enumerate(range(0, count, page_size), start=1):
        pages.append({"page": i, "size": min(page_size, count - start)})
    return pages


def natural_ids(records: list[dict[str, Any]]) -> list[str]:
    """login.uuid of each person: the key every upsert downstream uses (the contract requires it)."""
    return [str(r["login"]["uuid"]) for r in records]
