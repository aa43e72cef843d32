"""Pure logic of the user_automation DAG: a bounded pull split into pages, and the people's natural ids.
What the randomuser-compatible API returned is checked against its contract by clients.RandomUserClient."""

from __future__ import annotations

from typing import Any


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
