import datetime as dt
import json
from functools import partial

from chispa import assert_df_equality
from sparkflow_jobs.jobs.stream_user_stats import parse_events, windowed_counts

from ..events import enriched_event, event_id

# Row order is Spark's business; nullability differs between createDataFrame and computed columns.
assertDataFrameEqual = partial(assert_df_equality, ignore_row_order=True, ignore_nullable=True)


def envelope(event, produced_at, country, band, user="7d1e2f60-0000-4000-8000-000000000001"):
    return json.dumps(enriched_event(user, country, band, produced_at, event=event))


def kafka_rows(spark, values):
    return spark.createDataFrame([(v.encode() if v is not None else None,) for v in values], "value binary")


def test_parse_events_reads_the_envelope_and_drops_garbage(spark):
    got = parse_events(kafka_rows(spark, [
        envelope("e1", "2026-11-20T10:00:30.500Z", "GB", "25-34"),
        envelope("e2", "2026-11-20T10:00:59Z", None, "18-24"),
        "not json",
        json.dumps({"eventId": "e3"}),  # no producedAt: no event time, dropped
    ])).select("event_id", "event_time", "country_code", "age_band")
    expected = spark.createDataFrame([
        (event_id("e1"), dt.datetime(2026, 11, 20, 10, 0, 30, 500000), "GB", "25-34"),
        (event_id("e2"), dt.datetime(2026, 11, 20, 10, 0, 59), "ZZ", "18-24"),
    ], "event_id string, event_time timestamp, country_code string, age_band string")
    assertDataFrameEqual(got, expected)


def test_windowed_counts_one_minute_windows_and_duplicates_dropped(spark):
    events = parse_events(kafka_rows(spark, [
        envelope("e1", "2026-11-20T10:00:01Z", "GB", "25-34"),
        envelope("e1", "2026-11-20T10:00:01Z", "GB", "25-34"),  # redelivered: counted once
        envelope("e2", "2026-11-20T10:00:59Z", "GB", "25-34"),
        envelope("e3", "2026-11-20T10:01:00Z", "GB", "25-34"),  # next window
        envelope("e4", "2026-11-20T10:00:10Z", "FR", "25-34"),
    ]))
    got = windowed_counts(events, "10 minutes")
    w = lambda m: dt.datetime(2026, 11, 20, 10, m)  # noqa: E731
    expected = spark.createDataFrame([
        (w(0), "GB", "25-34", w(1), 2),
        (w(1), "GB", "25-34", w(2), 1),
        (w(0), "FR", "25-34", w(1), 1),
    ], "window_start timestamp, country_code string, age_band string, window_end timestamp, users long")
    assertDataFrameEqual(got, expected)
