"""Smoke checks for the browser assets vendored by scripts/vendor_assets.sh.

The files under webapp/static/vendor/ are committed so the app runs without npm
and never loads code from a CDN at run time; these tests guard that.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "webapp" / "static" / "vendor"
VERSIONS = VENDOR / "VERSIONS.txt"

# Directories owned by scripts/vendor_assets.sh -> the package (and major) expected there.
EXPECTED = {
    "bpmn-js": "bpmn-js@18.",
    "dmn-js": "dmn-js@17.",
    "form-js": "@bpmn-io/form-js@1.",
    "chart.js": "chart.js@4.",
}

CDN_HOSTS = (
    "unpkg.com",
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "ajax.googleapis.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "esm.sh",
    "cdn.skypack.dev",
)
CDN_RE = re.compile("|".join(re.escape(h) for h in CDN_HOSTS), re.IGNORECASE)

# Code that would fetch and run a script from an absolute URL.
REMOTE_SCRIPT_RE = re.compile(
    r"""(?:importScripts|import)\s*\(\s*["'`]\s*(?:https?:)?//"""
    r"""|<script[^>]*\bsrc\s*=\s*\\?["']\s*(?:https?:)?//"""
    r"""|\.src\s*=\s*["'`]\s*(?:https?:)?//""",
    re.IGNORECASE,
)
CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
CSS_URL_RE = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")
CSS_IMPORT_RE = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"');\s]+)""")
JS_BANNER_RE = re.compile(r"\A\s*/\*!.*?\*/", re.DOTALL)


def parse_versions() -> dict[str, dict]:
    """Return {dir: {"header": str, "files": [relative paths]}} from VERSIONS.txt."""
    packages: dict[str, dict] = {}
    current = None
    for line in VERSIONS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("  "):
            assert current is not None, f"file line before any package header: {line!r}"
            current["files"].append(line.strip())
        else:
            directory = line.split()[0].rstrip("/")
            current = packages.setdefault(directory, {"header": line, "files": []})
    return packages


def vendored_files(suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in VENDOR.rglob("*") if p.is_file() and p.suffix in suffixes)


def test_versions_lists_expected_packages_with_licence():
    packages = parse_versions()
    for directory, prefix in EXPECTED.items():
        assert directory in packages, f"{directory} missing from VERSIONS.txt"
        header = packages[directory]["header"]
        assert f" {prefix}" in header, header
        assert "licence:" in header and header.split("licence:", 1)[1].strip(), header


def test_files_referenced_by_versions_exist():
    packages = parse_versions()
    listed = set()
    for directory, info in packages.items():
        assert info["files"], f"no files listed for {directory}"
        for rel in info["files"]:
            assert rel.startswith(directory + "/"), rel
            path = VENDOR / rel
            assert path.is_file(), f"listed in VERSIONS.txt but missing: {rel}"
            assert path.stat().st_size > 0, f"empty vendored file: {rel}"
            listed.add(rel)
    # Nothing stray in the script-managed directories.
    for directory in packages:
        for path in (VENDOR / directory).rglob("*"):
            if path.is_file():
                rel = path.relative_to(VENDOR).as_posix()
                assert rel in listed, f"{rel} is not listed in VERSIONS.txt"


def test_bpmn_modeler_bundle_is_the_real_thing():
    modeler = VENDOR / "bpmn-js" / "bpmn-modeler.production.min.js"
    text = modeler.read_text(encoding="utf-8")
    assert len(text) > 100_000
    assert "BpmnJS" in text
    # Unpatched: the bpmn.io watermark the licence requires is still in the bundle.
    assert "bjs-powered-by" in text


@pytest.mark.parametrize(
    "rel, global_name",
    [
        ("bpmn-js/bpmn-viewer.production.min.js", "BpmnJS"),
        ("bpmn-js/bpmn-modeler.production.min.js", "BpmnJS"),
        ("dmn-js/dmn-viewer.production.min.js", "DmnJS"),
        ("dmn-js/dmn-modeler.production.min.js", "DmnJS"),
        ("form-js/form-viewer.umd.js", "FormViewer"),
        ("form-js/form-editor.umd.js", "FormEditor"),
        ("chart.js/chart.umd.js", "Chart"),
    ],
)
def test_umd_bundles_expose_documented_globals(rel, global_name):
    head = (VENDOR / rel).read_text(encoding="utf-8")[:2000]
    assert re.search(rf"\.{global_name}\s*=", head), f"{rel} does not assign global {global_name}"


def test_css_references_resolve_locally():
    css_files = vendored_files((".css",))
    assert css_files
    for css in css_files:
        body = CSS_COMMENT_RE.sub("", css.read_text(encoding="utf-8"))
        refs = [m.group(2).strip() for m in CSS_URL_RE.finditer(body)]
        refs += [m.group(1).strip() for m in CSS_IMPORT_RE.finditer(body)]
        for ref in refs:
            if ref.startswith(("data:", "#")):
                continue
            assert not re.match(r"(?:https?:)?//", ref, re.IGNORECASE), f"{css}: remote reference {ref}"
            target = (css.parent / re.split(r"[?#]", ref, maxsplit=1)[0]).resolve()
            assert target.is_file(), f"{css.relative_to(VENDOR)}: url({ref}) not vendored"


def test_no_cdn_loading_in_vendored_css():
    for css in vendored_files((".css",)):
        # Hosts named only inside /* comments */ load nothing, so strip those first.
        body = CSS_COMMENT_RE.sub("", css.read_text(encoding="utf-8"))
        match = CDN_RE.search(body)
        assert not match, f"{css.relative_to(VENDOR)} references CDN host {match.group(0)}"


def test_no_cdn_loading_in_vendored_js():
    js_files = vendored_files((".js",))
    assert js_files
    for js in js_files:
        text = js.read_text(encoding="utf-8")
        # The leading /*! licence banner */ may name a homepage; it loads nothing.
        code = JS_BANNER_RE.sub("", text, count=1)
        match = CDN_RE.search(code)
        assert not match, f"{js.relative_to(VENDOR)} references CDN host {match.group(0)}"
        match = REMOTE_SCRIPT_RE.search(code)
        assert not match, f"{js.relative_to(VENDOR)} loads a remote script: {match.group(0)!r}"
