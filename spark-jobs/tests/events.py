"""users.raw envelopes for the jobs' tests, checked against the contract before any test uses them, so a
test never proves a job on input ingestion could not produce (sparkflow_contracts names the bad field)."""
from __future__ import annotations

import json
import uuid
from typing import Any

import sparkflow_contracts as contracts


def raw_event(
    login_uuid: str,
    postcode: str | int,
    *,
    email: str = "ada@example.org",
    street: tuple[int, str] = (12, "Baker St"),
    place: tuple[str, str, str] = ("London", "Greater London", "United Kingdom"),
    registered: str = "2010-05-06T00:00:00.000Z",
    phone: str = "020 7946 0000",
    batch_id: str = "b",
    produced_at: str = "2026-11-20T10:00:00.000Z",
) -> str:
    """One person (Ada Lovelace unless told otherwise) as a users.raw record's JSON value."""
    city, state, country = place
    event: dict[str, Any] = {
        "eventId": str(uuid.uuid4()), "schemaVersion": 1, "source": "randomuser-api", "batchId": batch_id,
        "producedAt": produced_at,
        "payload": {
            "gender": "female", "name": {"title": "Ms", "first": "Ada", "last": "Lovelace"},
            "location": {
                "street": {"number": street[0], "name": street[1]}, "city": city, "state": state, "country": country,
                "postcode": postcode,
                "coordinates": {"latitude": "51.5237", "longitude": "-0.1585"},
                "timezone": {"offset": "+0:00", "description": "Western Europe Time, London, Lisbon, Casablanca"},
            },
            "email": email, "login": {"uuid": login_uuid, "username": "ada"},
            "dob": {"date": "1990-01-02T00:00:00.000Z", "age": 36}, "registered": {"date": registered, "age": 16},
            "phone": phone,
            "picture": {"large": "https://example.org/l.jpg", "medium": "https://example.org/m.jpg",
                        "thumbnail": "https://example.org/t.jpg"},
            "nat": "GB",
        },
    }
    contracts.validate("users.raw", event)
    return json.dumps(event)


# users.enriched: what the stream jobs read, and the nullable rest as enrichment writes a sparse person.
_ENRICHED_NULLS = (
    "username", "title", "firstName", "lastName", "fullName", "gender", "email", "emailDomain", "dob", "age",
    "registeredAt", "registrationCohort", "nationality", "country", "state", "city", "street", "postcode",
    "latitude", "longitude", "geohash", "timezoneOffsetMinutes", "timezoneDescription", "phone", "phoneE164",
    "cell", "cellE164", "nationalIdName", "nationalIdValue", "pictureUrl",
)


def event_id(label: str) -> str:
    """A stable event id for a test's label ("e1"): the same label, the same id, as a redelivery has."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sparkflow-test-event-{label}"))


def enriched_event(
    user_id: str, country_code: str | None, age_band: str | None, produced_at: str, *, event: str | None = None
) -> dict[str, Any]:
    """One users.enriched record's value, checked against the contract; `event` labels its id (event_id)."""
    payload: dict[str, Any] = dict.fromkeys(_ENRICHED_NULLS)
    payload.update(userId=user_id, countryCode=country_code, ageBand=age_band, qualityScore=1, qualityReasons=[])
    value = {
        "eventId": event_id(event) if event else str(uuid.uuid4()), "schemaVersion": 1, "source": "synthetic",
        "batchId": "b1", "producedAt": produced_at, "payload": payload,
    }
    contracts.validate("users.enriched", value)
    return value
