import json
from functools import partial

from chispa import assert_df_equality
from sparkflow_jobs.jobs.tutorial_baseline_stream import flatten, latest_per_id

# Row order is Spark's business; nullability differs between createDataFrame and computed columns.
assertDataFrameEqual = partial(assert_df_equality, ignore_row_order=True, ignore_nullable=True)


def raw(uuid, postcode):
    return json.dumps({
        "eventId": "e-" + uuid, "schemaVersion": 1, "source": "randomuser-api", "batchId": "b", "producedAt": "2026-11-20T10:00:00Z",
        "payload": {
            "gender": "female", "name": {"title": "Ms", "first": "Ada", "last": "Lovelace"},
            "location": {"street": {"number": 12, "name": "Baker St"}, "city": "London", "state": "Greater London",
                         "country": "United Kingdom", "postcode": postcode},
            "email": "ada@example.org", "login": {"uuid": uuid, "username": "ada"},
            "dob": {"date": "1990-01-02T00:00:00.000Z", "age": 36}, "registered": {"date": "2010-05-06T00:00:00.000Z", "age": 16},
            "phone": "020 7946 0000", "picture": {"medium": "https://example.org/m.jpg"}, "nat": "GB",
        },
    })


def test_flatten_keeps_string_and_numeric_postcodes_and_keys_by_login_uuid(spark):
    df = spark.createDataFrame([(raw("u-1", "EC1A 1BB").encode(), 7), (raw("u-2", 12345).encode(), 8), (b"{}", 9)], "value binary, offset long")
    got = flatten(df)
    row = ("Ada", "Lovelace", "female", "12 Baker St, London, Greater London, United Kingdom")
    tail = ("ada@example.org", "ada", "1990-01-02T00:00:00.000Z", "2010-05-06T00:00:00.000Z", "020 7946 0000", "https://example.org/m.jpg")
    expected = spark.createDataFrame(
        [("u-1", *row, "EC1A 1BB", *tail, 7), ("u-2", *row, "12345", *tail, 8)],
        "id string, first_name string, last_name string, gender string, address string, postcode string, email string, "
        "username string, dob string, registered_date string, phone string, picture string, kafka_offset long",
    )
    assertDataFrameEqual(got, expected)


def test_latest_per_id_keeps_the_last_record_of_a_person(spark):
    df = spark.createDataFrame([("a", "old", 1), ("a", "new", 5), ("b", "only", 2)], "id string, email string, kafka_offset long")
    assertDataFrameEqual(latest_per_id(df), spark.createDataFrame([("a", "new"), ("b", "only")], "id string, email string"))
