"""Deploying what the newest version already says (an editor writes the same diagram afresh, in
other spacing) makes no new version; a real change still does."""

from __future__ import annotations

import re

from tests.helpers.designer import shipped_bpmn, upload


def test_a_reformatted_but_unchanged_diagram_is_not_a_new_version(api):
    respaced = re.sub(r">\s*<", ">\n\n      <", shipped_bpmn()).replace(" />", "/>")
    assert respaced != shipped_bpmn()
    resp = upload(api, {"small_works.bpmn": respaced}, note="nothing really")
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["version"], resp.get_json()["created"]) == (1, False)
    assert [v["version"] for v in api.get("designer", "/api/v1/process-versions").get_json()] == [1]

    renamed = shipped_bpmn().replace('name="申报完工"', 'name="申报完工（业主）"', 1)
    resp = upload(api, {"small_works.bpmn": renamed})
    assert resp.status_code == 201 and resp.get_json()["version"] == 2


def test_same_content_reads_xml_and_json_not_their_spelling():
    from webapp.domain.catalog import same_content

    xml = '<a xmlns="urn:x"><b id="1" name="n"/></a>'
    assert same_content(
        {"p.bpmn": xml, "f.json": '{"a": 1, "b": 2}'},
        {"p.bpmn": '<a xmlns="urn:x">\n  <b name="n" id="1"></b>\n</a>', "f.json": '{"b":2,"a":1}'},
    )
    assert not same_content({"p.bpmn": xml}, {"p.bpmn": xml.replace('name="n"', 'name="m"')})
    assert not same_content({"p.bpmn": xml}, {"p.bpmn": xml, "q.dmn": xml})
