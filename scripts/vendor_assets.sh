#!/usr/bin/env bash
# Refresh the browser assets committed under webapp/static/vendor/.
#
# The versions are pinned in scripts/vendor/package.json + package-lock.json.
# This script installs exactly that lock (npm ci, no install scripts) into
# scripts/vendor/node_modules (gitignored) and copies only the prebuilt files a
# page needs -- minified JS bundles, their CSS and the font files that CSS
# references -- into webapp/static/vendor/<package>/, plus each package's
# LICENSE and a VERSIONS.txt manifest. Nothing is patched or rewritten (the
# bpmn.io watermark required by the bpmn.io licence stays as shipped), and
# pages load everything from /static/vendor, never from a CDN.
#
# Idempotent: it rebuilds the managed directories from scratch each run, so
# running it twice with the same lock yields byte-identical output.
#
# To upgrade: edit the exact versions in scripts/vendor/package.json, run
# `npm install --ignore-scripts --omit-lockfile-registry-resolved` inside
# scripts/vendor to refresh the lock, then run this script (or `make vendor`)
# and commit package.json, package-lock.json and webapp/static/vendor/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="$ROOT/scripts/vendor"
MODULES="$PKG_DIR/node_modules"
OUT="$ROOT/webapp/static/vendor"

die() { echo "vendor_assets.sh: error: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 \
  || die "npm is not installed or not on PATH. Install Node.js + npm (e.g. 'apt-get install -y npm') and re-run. The committed files in webapp/static/vendor/ keep working without npm; npm is only needed to refresh them."
command -v node >/dev/null 2>&1 || die "node is not installed or not on PATH (needed alongside npm)."
[ -f "$PKG_DIR/package.json" ] && [ -f "$PKG_DIR/package-lock.json" ] \
  || die "missing $PKG_DIR/package.json or package-lock.json"

echo "==> npm ci in scripts/vendor"
(cd "$PKG_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
  || die "npm ci failed (see output above)"

# What to copy. One line per file: <npm package> <vendor dir> <path inside the package>.
# Paths under dist/ keep their layout below dist/ so relative url()s in the CSS still resolve.
MANIFEST='
bpmn-js           bpmn-js   dist/bpmn-viewer.production.min.js
bpmn-js           bpmn-js   dist/bpmn-modeler.production.min.js
bpmn-js           bpmn-js   dist/assets/diagram-js.css
bpmn-js           bpmn-js   dist/assets/bpmn-js.css
bpmn-js           bpmn-js   dist/assets/bpmn-font/css/bpmn.css
dmn-js            dmn-js    dist/dmn-viewer.production.min.js
dmn-js            dmn-js    dist/dmn-modeler.production.min.js
dmn-js            dmn-js    dist/assets/diagram-js.css
dmn-js            dmn-js    dist/assets/dmn-js-shared.css
dmn-js            dmn-js    dist/assets/dmn-js-drd.css
dmn-js            dmn-js    dist/assets/dmn-js-decision-table.css
dmn-js            dmn-js    dist/assets/dmn-js-decision-table-controls.css
dmn-js            dmn-js    dist/assets/dmn-js-literal-expression.css
dmn-js            dmn-js    dist/assets/dmn-js-boxed-expression.css
dmn-js            dmn-js    dist/assets/dmn-js-boxed-expression-controls.css
dmn-js            dmn-js    dist/assets/dmn-font/css/dmn.css
@bpmn-io/form-js  form-js   dist/form-viewer.umd.js
@bpmn-io/form-js  form-js   dist/form-editor.umd.js
@bpmn-io/form-js  form-js   dist/assets/form-js.css
@bpmn-io/form-js  form-js   dist/assets/form-js-editor.css
chart.js          chart.js  dist/chart.umd.js
'

# Vendor dirs this script owns; anything else under webapp/static/vendor is left alone.
MANAGED_DIRS=(bpmn-js dmn-js form-js chart.js)

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

copy_file() { # <src> <dest>
  [ -f "$1" ] || die "expected file not found in the npm package: $1"
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2"
}

dest_rel() { # path inside package -> path inside vendor dir (drop leading dist/)
  echo "${1#dist/}"
}

declare -A LISTED=()   # "<dir>/<rel>" -> 1, in order via FILES array
FILES=()
add_listed() { if [ -z "${LISTED[$1]:-}" ]; then LISTED[$1]=1; FILES+=("$1"); fi; }

echo "==> copying files"
while read -r pkg dir path; do
  [ -n "${pkg:-}" ] || continue
  src="$MODULES/$pkg/$path"
  rel="$(dest_rel "$path")"
  copy_file "$src" "$STAGE/$dir/$rel"
  add_listed "$dir/$rel"

  # Fonts/images that a CSS file loads via url(...): copy them too (data: URIs need nothing).
  if [[ "$path" == *.css ]]; then
    css_dir="$(dirname "$path")"
    # Strip /* comments */ first so only real references count.
    refs="$(node -e '
      const css = require("fs").readFileSync(process.argv[1], "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      const out = new Set();
      for (const m of css.matchAll(/url\(\s*(["'"'"']?)([^"'"'"')]+)\1\s*\)/g)) out.add(m[2].trim());
      for (const m of css.matchAll(/@import\s+["'"'"']([^"'"'"']+)["'"'"']/g)) out.add(m[1].trim());
      console.log([...out].join("\n"));
    ' "$src")"
    while read -r ref; do
      [ -n "$ref" ] || continue
      case "$ref" in
        data:*|\#*) continue ;;
        http:*|https:*|//*) die "$pkg/$path loads a remote resource ($ref); refusing to vendor a CDN reference" ;;
      esac
      ref_path="${ref%%[?#]*}"
      norm="$(node -p 'require("path").posix.normalize(process.argv[1])' "$css_dir/$ref_path")"
      [[ "$norm" == dist/* ]] || die "$pkg/$path references $ref outside dist/"
      nrel="$(dest_rel "$norm")"
      copy_file "$MODULES/$pkg/$norm" "$STAGE/$dir/$nrel"
      add_listed "$dir/$nrel"
    done <<< "$refs"
  fi
done <<< "$MANIFEST"

echo "==> writing VERSIONS.txt"
{
  echo "# Browser assets vendored by scripts/vendor_assets.sh from the exact versions in"
  echo "# scripts/vendor/package-lock.json. Generated file: do not edit by hand, re-run the script."
  echo "# Format: <dir>/  <package>@<version>  licence: <licence>, followed by the vendored files."
  echo "# The bpmn.io licence requires the bpmn.io watermark to stay visible: nothing here is patched."
  declare -A seen=()
  while read -r pkg dir path; do
    [ -n "${pkg:-}" ] || continue
    [ -z "${seen[$dir]:-}" ] || continue
    seen[$dir]=1
    info="$(node -e '
      const p = require(process.argv[1]);
      const fs = require("fs");
      let lic = p.license || "UNKNOWN";
      const dir = require("path").dirname(process.argv[1]);
      const licFile = ["LICENSE", "LICENSE.md", "LICENSE.txt"].find(f => fs.existsSync(dir + "/" + f)) || "";
      if (/^SEE LICENSE/i.test(lic) && licFile && /bpmn\.io project watermark/.test(fs.readFileSync(dir + "/" + licFile, "utf8")))
        lic = "bpmn.io License (MIT terms + watermark must stay visible)";
      console.log(p.name + "@" + p.version + "\t" + lic + "\t" + licFile);
    ' "$MODULES/$pkg/package.json")"
    IFS=$'\t' read -r name_ver licence lic_file <<< "$info"
    if [ -n "$lic_file" ]; then
      cp "$MODULES/$pkg/$lic_file" "$STAGE/$dir/$lic_file"
      add_listed "$dir/$lic_file"
    fi
    echo
    echo "$dir/  $name_ver  licence: $licence"
    for f in "${FILES[@]}"; do
      [[ "$f" == "$dir/"* ]] && echo "  $f"
    done
  done <<< "$MANIFEST"
} > "$STAGE/VERSIONS.txt"

# Swap the staged result in.
mkdir -p "$OUT"
for d in "${MANAGED_DIRS[@]}"; do rm -rf "${OUT:?}/$d"; done
for d in "${MANAGED_DIRS[@]}"; do cp -R "$STAGE/$d" "$OUT/$d"; done
cp "$STAGE/VERSIONS.txt" "$OUT/VERSIONS.txt"

total="$(du -cb "${MANAGED_DIRS[@]/#/$OUT/}" "$OUT/VERSIONS.txt" | tail -1 | cut -f1)"
echo "==> done: ${#FILES[@]} files, $total bytes in webapp/static/vendor/"
