"""Pure logic of the user_automation DAG: a bounded pull split into pages, and the contract check on
what the randomuser-compatible API returned before it is pushed to ingestion."""

from __future__ import annotations

from typing import Any

from sparkflow_airflow import contracts


def plan_pages(count: int, page_size: int) -> list[dict[str, int]]:
    """`count` users as ceil(count / page_size) requests; the last page may be short."""
    if count < 1 or page_size < 1:
        raise ValueError("count and page_size must be positive")
    pages = []
    for i, start in enumerate(range(0, count, page_size), start=1):
        pages.append({"page": i, "size": min(page_size, count - start)})
    return pages


def _get(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def missing_required(record: dict[str, Any]) -> list[str]:
    """Required top-level groups and the natural id the contract demands that the record lacks.
    Full validation is enrichment's job (it dead-letters with reasons); this only refuses pages that
    are not randomuser-shaped at all, e.g. an error page."""
    required = contracts.required_paths(contracts.schema("randomuser-response")["properties"]["results"])
    wanted = sorted(p for p in required if "." not in p) + ["login.uuid"]
    return [p for p in wanted if _get(record, p) in (None, "")]


def natural_ids(records: list[dict[str, Any]]) -> list[str]:
    return [str(_get(r, "login.uuid")) for r in records]
