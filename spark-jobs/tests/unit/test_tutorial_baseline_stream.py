import uuid
from functools import partial

import pytest
import sparkflow_contracts as contracts
from chispa import assert_df_equality
from sparkflow_jobs.jobs.tutorial_baseline_stream import flatten, latest_per_id

from ..events import raw_event

# Row order is Spark's business; nullability differs between createDataFrame and computed columns.
assertDataFrameEqual = partial(assert_df_equality, ignore_row_order=True, ignore_nullable=True)


U1, U2 = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"sparkflow-test-{i}")) for i in (1, 2))


def test_flatten_keeps_string_and_numeric_postcodes_and_keys_by_login_uuid(spark):
    df = spark.createDataFrame([(raw_event(U1, "EC1A 1BB").encode(), 7), (raw_event(U2, 12345).encode(), 8), (b"{}", 9)], "value binary, offset long")
    got = flatten(df)
    row = ("Ada", "Lovelace", "female", "12 Baker St, London, Greater London, United Kingdom")
    tail = ("ada@example.org", "ada", "1990-01-02T00:00:00.000Z", "2010-05-06T00:00:00.000Z", "020 7946 0000", "https://example.org/m.jpg")
    expected = spark.createDataFrame(
        [(U1, *row, "EC1A 1BB", *tail, 7), (U2, *row, "12345", *tail, 8)],
        "id string, first_name string, last_name string, gender string, address string, postcode string, email string, "
        "username string, dob string, registered_date string, phone string, picture string, kafka_offset long",
    )
    assertDataFrameEqual(got, expected)


def test_latest_per_id_keeps_the_last_record_of_a_person(spark):
    df = spark.createDataFrame([("a", "old", 1), ("a", "new", 5), ("b", "only", 2)], "id string, email string, kafka_offset long")
    assertDataFrameEqual(latest_per_id(df), spark.createDataFrame([("a", "new"), ("b", "only")], "id string, email string"))


def test_an_event_that_breaks_the_contract_never_reaches_a_test():
    # What the builder guards: a person without a real login.uuid is not something ingestion produces.
    with pytest.raises(contracts.ContractViolation, match=r"payload\.login\.uuid: \"u-1\" is not a valid uuid"):
        raw_event("u-1", "EC1A 1BB")
