"""The tutorial's `user_automation`, done right: a bounded number of users from a randomuser-compatible
API, fetched in pages and pushed through ingestion's HTTP API (never straight to Kafka or Cassandra).

The tutorial looped for 60 s with one request per user, minted a fresh uuid4 per record and swallowed
every error. Here the count is a param, pages are mapped tasks with retries, the API's `seed` plus the
day of the logical date (of `run_after` for a run triggered without one) make a rerun fetch the same people, and their natural id (login.uuid) is kept, so the
upserts downstream never duplicate anyone. A conf key no param declares (`pageSize` for `page_size`) fails
`plan_pages` at once, naming the key and the param it most likely meant, before any page is pulled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Param, dag, task
from sparkflow_airflow.dag_defaults import dag_settings
from sparkflow_airflow.run_conf import PRINTABLE_TEXT

# The params a run takes; `plan_pages` refuses a conf key that is not one of them (sparkflow_airflow.run_conf).
PARAMS = {
    "count": Param(500, type="integer", minimum=1, maximum=5000, title="Users to pull"),
    "page_size": Param(100, type="integer", minimum=1, maximum=5000, title="Users per request"),
    "seed": Param("sparkflow", type="string", minLength=1, maxLength=80, pattern=PRINTABLE_TEXT, title="Seed prefix (the logical date is appended)"),
    "nat": Param(None, type=["null", "string"], title="Nationalities, e.g. gb,fr (optional)"),
    "randomuser_conn_id": Param(
        "sparkflow_randomuser",
        type="string",
        pattern="^[A-Za-z0-9_.-]+$",
        title="Airflow connection of the randomuser-compatible API (another one: a mirror, a fixture server)",
    ),
}


@dag(
    **dag_settings(schedule="daily", tags=["randomuser"], retry_delay=timedelta(seconds=20)),
    params=PARAMS,
    doc_md=__doc__,
)
def user_automation():
    @task
    def plan_pages(params: dict[str, Any] | None = None, dag_run: Any = None) -> list[dict[str, Any]]:
        from sparkflow_airflow.automation import plan_pages as pages_of
        from sparkflow_airflow.automation import run_seed
        from sparkflow_airflow.run_conf import refuse_unknown_conf

        assert params is not None and dag_run is not None
        # A misspelt param (`pageSize`) would leave its default in force: refused before any page is pulled.
        refuse_unknown_conf(dag_run.conf, PARAMS, "user_automation")
        # A run triggered without a logical date (`airflow dags trigger`, REST `logical_date: null`) has its run_after.
        seed = run_seed(params["seed"], dag_run.logical_date, dag_run.run_after)
        return [
            {**p, "seed": seed, "nat": params["nat"], "conn_id": params["randomuser_conn_id"]}
            for p in pages_of(params["count"], params["page_size"])
        ]

    @task(map_index_template="{{ page['page'] }}")
    def pull_page(page: dict[str, Any]) -> dict[str, Any]:
        from sparkflow_airflow.automation import natural_ids
        from sparkflow_airflow.clients import IngestionClient, RandomUserClient

        users = RandomUserClient(page["conn_id"]).page(seed=page["seed"], page=page["page"], size=page["size"], nat=page["nat"])
        if len(users) != page["size"]:
            raise ValueError(f"page {page['page']}: asked for {page['size']} users, got {len(users)}")
        receipt = IngestionClient().push_users(users)
        return {"page": page["page"], "accepted": receipt["accepted"], "batch_id": receipt["batchId"], "first_id": natural_ids(users)[0]}

    @task
    def summarize(receipts: list[dict[str, Any]]) -> int:
        total = sum(r["accepted"] for r in receipts)
        print(f"pushed {total} users in {len(receipts)} requests: {[r['batch_id'] for r in receipts]}")
        return total

    summarize(pull_page.expand(page=plan_pages()))


user_automation()
