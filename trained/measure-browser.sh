#!/usr/bin/env bash
# Measures SwiftShader WebGPU in headless Chromium through the app's Measure page for
# LETI_SECONDS seconds (default 600), then pauses the run and exports every record the
# collector holds to $DIR/records.jsonl. A later call resumes the same run (persistent
# browser profile in $DIR/profile), so a long measurement can be spread over several calls.
# Needs the release web bundle (.ci/build-web) and `leti` built in release.
# Usage: trained/measure-browser.sh DIR    (e.g. /var/tmp/leti-chromium; keep it between calls)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:?usage: trained/measure-browser.sh DIR}"
TOOLS="${LETI_TOOLS:-$HOME/.cache/leti-tools}"
mkdir -p "$DIR/profile"
[ -s www/pkg/entry.js ] || { echo "www/pkg is missing: run .ci/build-web" >&2; exit 1; }
[ -d "$TOOLS/node_modules/playwright-core" ] || npm install --prefix "$TOOLS" --no-audit --no-fund --silent playwright-core@1.65.1
# Freeze the binary and the bundle for this measurement (a rebuild mid-run changes neither).
[ -d "$DIR/www" ] || cp -r www "$DIR/www"
[ -x "$DIR/leti" ] || cp target/release/leti "$DIR/leti"
ln -sfn "$TOOLS/node_modules" "$DIR/node_modules"
cp trained/measure-browser.mjs "$DIR/measure-browser.mjs"
cp tests/e2e/harness.mjs "$DIR/harness.mjs"
LETI_BIN="$DIR/leti" LETI_DB="$DIR/collector.sqlite" LETI_WEB_ROOT="$DIR/www" LETI_PROFILE="$DIR/profile" \
  node "$DIR/measure-browser.mjs"
"$DIR/leti" export --db "$DIR/collector.sqlite" --out "$DIR/records.jsonl"
wc -l "$DIR/records.jsonl"
