"""JSON columns stored deflated against a preset dictionary (persistence.models.CompactJSON): what
goes in comes out, rows written before (plain text) still read, and the dictionary stored rows
depend on does not change."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from webapp.persistence import json_dictionary
from webapp.persistence.models import pack_json, unpack_json

REGISTRATION = {
    "object_type": "SMALL_WORKS",
    "category": "FITOUT_NONRESIDENTIAL",
    "title": "店面装修",
    "site_status": "IN_PROGRESS",
    "rules": [{"rule": "rectify_general", "ref": "P-11b", "value": "P3D", "district": "350206", "version": 2}],
}


def test_the_dictionary_of_stored_rows_never_changes():
    # Rows deflated with V1 read only with these very bytes: a better dictionary is a V2.
    digest = hashlib.sha256("\n".join(json_dictionary.V1).encode()).hexdigest()
    assert digest == "620947ba1e3c884a119d3deae36603638b8c14c5cda68130b0dab87d7b551513"


def test_json_comes_back_as_it_went_in_and_the_project_vocabulary_costs_little():
    value = json.dumps(REGISTRATION, ensure_ascii=False)
    packed = pack_json(value)
    assert packed[0] == 1 and unpack_json(packed) == value
    assert len(packed) * 2 < len(value.encode())


def test_a_value_deflate_cannot_shorten_is_stored_as_its_text():
    for value in ("{}", "null", '[7, 3]'):
        assert pack_json(value) == value.encode() and unpack_json(pack_json(value)) == value
    assert unpack_json('{"written": "before"}') == '{"written": "before"}'  # an old row, read as TEXT


def test_history_rows_written_before_and_after_read_alike(app):
    from webapp.persistence.models import HistoryEvent, db

    with app.app_context():
        value = json.dumps(REGISTRATION, ensure_ascii=False)
        db.session.add(HistoryEvent(kind="step", element_id="triage", data_json=value))
        db.session.execute(
            text(
                "INSERT INTO history_event (at, kind, element_id, data_json) "
                "VALUES (CURRENT_TIMESTAMP, 'step', 'old', :value)"
            ),
            {"value": value},
        )
        db.session.commit()
        stored = dict(
            db.session.execute(
                text("SELECT element_id, data_json FROM history_event WHERE element_id IN ('triage', 'old')")
            ).all()
        )
        read = dict(
            db.session.execute(
                select(HistoryEvent.element_id, HistoryEvent.data_json).where(
                    HistoryEvent.element_id.in_(("triage", "old"))
                )
            ).all()
        )
    assert isinstance(stored["old"], str) and bytes(stored["triage"])[0] == 1
    assert read == {"triage": value, "old": value}
