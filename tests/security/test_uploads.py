"""Uploads: XML without DTDs or entities (never expanded), a size limit on every upload with a
clear 413, photos judged by their content and re-encoded."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image

from tests.helpers.designer import shipped_bpmn
from tests.helpers.pages import jpeg_bytes
from tests.helpers.world import build_world
from webapp.domain.catalog import parse_xml
from webapp.domain.errors import BundleError

BPMN_NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    + f']><definitions {BPMN_NS} name="&i;"/>'
)
EXTERNAL = (
    f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions {BPMN_NS} name="&x;"/>'
)
DOCTYPE_ONLY = f'<?xml version="1.0"?><!DOCTYPE definitions><definitions {BPMN_NS}/>'
LATE_DOCTYPE = (
    '<?xml version="1.0"?><!--' + "x" * 5000 + '-->'
    f'<!DOCTYPE definitions SYSTEM "file:///etc/passwd"><definitions {BPMN_NS}/>'
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]>'
    f'<definitions {BPMN_NS}/>'
)
EVIL_XML = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": EXTERNAL,
    "doctype": DOCTYPE_ONLY,
    "doctype-after-4k": LATE_DOCTYPE,
    "parameter-entity": PARAMETER_ENTITY,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory)


# -- XML -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", EVIL_XML.values(), ids=EVIL_XML.keys())
def test_parse_xml_refuses_dtds_before_parsing(text):
    with pytest.raises(BundleError, match="DTD / entity declarations are not allowed"):
        parse_xml(text, "evil.bpmn")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_parse_xml_refuses_other_encodings(encoding):
    """In UTF-16 a DOCTYPE does not look like one to a byte scan; libxml2 would expand its entities."""
    text = BILLION_LAUGHS.replace('version="1.0"', f'version="1.0" encoding="{encoding.upper()}"')
    with pytest.raises(BundleError, match="UTF-8"):
        parse_xml(text.encode(encoding), "evil.bpmn")


def test_parse_xml_ignores_a_declared_encoding():
    """UTF-7 would let `+ADw-!DOCTYPE` through a text scan: the declaration is not obeyed."""
    text = '<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE d +AFs-+ADw-!ENTITY a +ACI-x+ACI-+AD4-+AF0-+AD4-<d/>'
    with pytest.raises(BundleError, match="syntax"):
        parse_xml(text.encode(), "evil.bpmn")
    assert parse_xml('<?xml version="1.0" encoding="UTF-8"?><d name="鹭江"/>', "ok.bpmn").get("name") == "鹭江"


@pytest.mark.parametrize("text", EVIL_XML.values(), ids=EVIL_XML.keys())
def test_api_upload_answers_422_and_expands_nothing(world, text):
    for name in ("evil.bpmn", "evil.dmn"):
        files = {name: text} if name.endswith(".bpmn") else {"small_works.bpmn": shipped_bpmn(), name: text}
        resp = world.api(
            "designer",
            "POST",
            "/api/v1/process-versions",
            content_type="multipart/form-data",
            data={"files": [(BytesIO(t.encode()), n) for n, t in files.items()]},
        )
        assert resp.status_code == 422, resp.get_json()
        problems = [p for p in resp.get_json()["problems"] if p["file"] == name]
        assert problems and problems[0]["message"] == "DTD / entity declarations are not allowed"
        body = resp.get_data(as_text=True)
        assert "root:" not in body and "aaaaaaaaaaaaaaaaaaaa" not in body


def test_designer_page_upload_answers_422_with_the_reason(world):
    resp = world.page_client("designer").post(
        "/designer/upload",
        content_type="multipart/form-data",
        data={"files": [(BytesIO(EXTERNAL.encode()), "small_works.bpmn")]},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "DTD / entity declarations are not allowed" in page and "root:" not in page


# -- size limits ---------------------------------------------------------------------------------
@pytest.fixture
def small_limit(world):
    world.app.config["MAX_CONTENT_LENGTH"] = 4096
    yield 4096
    world.app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024


def test_oversize_api_body_is_413_json(world, small_limit):
    resp = world.api("owner1", "POST", "/api/v1/registrations", json={"data": {"description": "x" * 10_000}})
    assert resp.status_code == 413 and "上传内容过大" in resp.get_json()["message"]


def test_oversize_form_is_a_413_page(world, small_limit):
    resp = world.page_client("grid_lj").post(
        "/leads/new",
        content_type="multipart/form-data",
        data={"description": "x", "photos": (BytesIO(b"x" * 10_000), "a.jpg")},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413 and "上传内容过大" in page and "<html" in page.lower()


def test_public_report_is_size_limited(world, small_limit):
    resp = world.page_client(None).post(
        "/report",
        content_type="multipart/form-data",
        data={"description": "x", "photos": (BytesIO(b"x" * 10_000), "a.jpg")},
    )
    assert resp.status_code == 413


# -- photos --------------------------------------------------------------------------------------
def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims to be width × height (a decompression bomb needs no more than its header)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


NOT_PHOTOS = {
    "truncated.jpg": jpeg_bytes((400, 300))[:600],
    "html.jpg": b"<html><script>alert(1)</script></html>",
    "svg.png": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "pdf.jpg": b"%PDF-1.4\n1 0 obj<<>>endobj\n",
    "gif.jpg": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "zip.jpg": b"PK\x03\x04" + b"\x00" * 100,
}


@pytest.mark.parametrize("name", NOT_PHOTOS)
def test_non_photos_are_refused_by_content(world, name):
    from webapp.services.casefile.attachments import UploadRefused

    with pytest.raises(UploadRefused, match="只能上传 JPEG、PNG 或 WebP"):
        _store(world, NOT_PHOTOS[name], name)


def test_decompression_bomb_is_refused(world):
    from webapp.services.casefile.attachments import UploadRefused

    with pytest.raises(UploadRefused, match="像素过大|JPEG"):
        _store(world, _png_header(50_000, 50_000), "bomb.png")


def test_polyglot_loses_its_payload_in_reencoding(world):
    """A real JPEG with an HTML/ZIP payload after it (a polyglot) is stored re-encoded: the payload is gone."""
    payload = b"<html><script>alert(document.cookie)</script></html>PK\x03\x04"
    row, stored = _store(world, jpeg_bytes((80, 60)) + payload, "polyglot.html")
    assert row.content_type == "image/jpeg" and row.filename == "polyglot.html"
    assert payload not in stored and b"<script" not in stored
    assert Image.open(BytesIO(stored)).format == "JPEG"
    served = world.page_client("owner1").get(f"/files/{row.id}")
    assert served.mimetype == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script" not in served.data


def _store(world, content: bytes, name: str):
    from pathlib import Path

    from webapp.persistence.models import User, db
    from webapp.services.casefile import attachments

    with world.app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "owner1"))
        row = attachments.store(user, BytesIO(content), name)
        stored = (Path(world.app.config["UPLOAD_DIR"]) / row.path).read_bytes()
        db.session.expunge(row)
        return row, stored
