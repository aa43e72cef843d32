"""stream_user_stats on the real stack: envelopes produced to a test topic, run with availableNow,
stopped, more events (and redeliveries) produced, restarted after a simulated crash between the
sink write and the checkpoint commit: the Cassandra counts equal the distinct events per window."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import uuid
from collections import Counter

from sparkflow_jobs.jobs import stream_user_stats as job

from ..events import enriched_event
from .conftest import result_of, run_job

COUNTRIES, BANDS = ["GB", "FR", None], ["18-24", "25-34"]


def make_events(base: dt.datetime, n: int, rnd: random.Random):
    out = []
    for _ in range(n):
        at = base + dt.timedelta(seconds=rnd.randrange(180), milliseconds=rnd.randrange(1000))  # three windows
        produced_at = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        out.append(enriched_event(str(uuid.uuid4()), rnd.choice(COUNTRIES), rnd.choice(BANDS), produced_at))
    return out


def expected(events):
    """Distinct eventIds per (minute, country or ZZ, band), computed here from what was produced."""
    distinct = {e["eventId"]: e for e in events}.values()
    c = Counter()
    for e in distinct:
        at = dt.datetime.fromisoformat(e["producedAt"].replace("Z", "+00:00")).replace(tzinfo=None)
        c[(at.replace(second=0, microsecond=0), e["payload"]["countryCode"] or "ZZ", e["payload"]["ageBand"])] += 1
    return dict(c)


def stored(cql, windows):
    got = {}
    for w in windows:
        for r in cql.execute("SELECT window_start, country_code, age_band, users, window_end FROM user_stats_by_minute WHERE window_start = %s", (w,)):
            assert r.window_end == r.window_start + dt.timedelta(minutes=1)
            got[(r.window_start, r.country_code, r.age_band)] = r.users
    return got


def run_available_now(spark, cfg, topic, checkpoint):
    args = job.parse_args(["--topic", topic, "--checkpoint", checkpoint, "--available-now"])
    q = job.start(spark, cfg, args)
    q.awaitTermination(240)
    assert not q.isActive and q.exception() is None


def test_counts_survive_restart_and_redelivery_without_double_counting(spark, cfg, cql, kafka_topic, produce, tmp_path):
    rnd = random.Random()
    # A minute in the past nobody else writes (window_start is the partition key).
    base = dt.datetime(2001, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rnd.randrange(500_000) * 5)
    windows = [base.replace(tzinfo=None) + dt.timedelta(minutes=m) for m in range(3)]
    checkpoint = str(tmp_path / "checkpoint")
    send = lambda evs: produce(kafka_topic, [(e["payload"]["userId"], json.dumps(e)) for e in evs])  # noqa: E731

    first = make_events(base, 40, rnd)
    send(first + first[:5])  # five redelivered in the same run
    run_available_now(spark, cfg, kafka_topic, checkpoint)
    assert stored(cql, windows) == expected(first)

    # Crash after the sink wrote the last batch but before Spark committed it: that batch is replayed.
    commits = sorted((p for p in os.listdir(os.path.join(checkpoint, "commits")) if p.isdigit()), key=int)
    for name in (commits[-1], f".{commits[-1]}.crc"):  # the log entry and Hadoop's checksum beside it
        path = os.path.join(checkpoint, "commits", name)
        if os.path.exists(path):
            os.remove(path)

    second = make_events(base, 25, rnd)
    send(second + first[10:20])  # new events in the same windows, plus redeliveries of old ones
    run_available_now(spark, cfg, kafka_topic, checkpoint)
    try:
        assert stored(cql, windows) == expected(first + second)
    finally:
        for w in windows:
            cql.execute("DELETE FROM user_stats_by_minute WHERE window_start = %s", (w,))


def test_spark_submit_on_the_standalone_master_counts_the_same(cql, kafka_topic, produce, tmp_path):
    """The job as Compose and a cluster run it: spark-submit to the stack's standalone master."""
    rnd = random.Random()
    base = dt.datetime(2001, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rnd.randrange(500_000) * 5)
    windows = [base.replace(tzinfo=None) + dt.timedelta(minutes=m) for m in range(3)]
    events = make_events(base, 30, rnd)
    produce(kafka_topic, [(e["payload"]["userId"], json.dumps(e)) for e in events + events[:4]])
    try:
        proc = run_job("submit-standalone", "stream_user_stats", "--topic", kafka_topic,
                       "--checkpoint", str(tmp_path / "checkpoint"), "--available-now")
        assert result_of(proc)["job"] == "stream_user_stats"
        assert stored(cql, windows) == expected(events)
    finally:
        for w in windows:
            cql.execute("DELETE FROM user_stats_by_minute WHERE window_start = %s", (w,))
