#!/usr/bin/env bash
# LETI's engine side by side with ONNX Runtime Web (npm onnxruntime-web: its webgpu and wasm
# execution providers) in one headless Chromium, on the same networks: the NAS-Bench-101 README
# cell and the first anchor cells, each exported with `leti export-onnx` (the weights LETI runs),
# fed the same input. Prints the medians, the ratios and the dispatches per network, fails if the
# runtimes' logits disagree, and writes the markdown table to --out.
#
# Usage: benches/ort_web/run.sh [--quick] [--anchors N] [--max-mmac M] [--runs N] [--warmup N]
#                               [--conv auto[,workgroup,register,register-wide]] [--out FILE]
#   --conv     LETI's conv kernel families, each run in turn (auto: the one its probe picks); a
#              family may end in :layerwise (the planner before plan 2) or :merged-projections (plan 2)
#   --quick    the README cell only, 1 warm-up and 3 timed runs (what .ci/test-web runs: ~1 min)
#   default    the README cell and the first 4 anchors of at most 1,000 MMAC (--max-mmac; the
#              anchors go up to 4.2 GMAC, 40 s an inference for ONNX Runtime's webgpu provider
#              on SwiftShader), 2 warm-up and 10 timed runs each (~8 min here)
# LETI_BIN names a built `leti` (default: a release build); the web bundle is built with
# .ci/build-web when www/pkg is missing. npm packages go to LETI_TOOLS (as .ci/setup's).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="${LETI_TOOLS:-$HOME/.cache/leti-tools}"
ORT_WEB_VERSION=1.31.1
PLAYWRIGHT_VERSION=1.65.1
log() { printf '[ort-web] %s\n' "$*" >&2; }
die() { log "$*"; exit 2; }

anchors=4 max_mmac=1000 runs=10 warmup=2 conv=auto out=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) anchors=0 runs=3 warmup=1 ;;
    --anchors) anchors="${2:?--anchors needs a count}"; shift ;;
    --max-mmac) max_mmac="${2:?--max-mmac needs a number of millions of MACs}"; shift ;;
    --runs) runs="${2:?--runs needs a count}"; shift ;;
    --warmup) warmup="${2:?--warmup needs a count}"; shift ;;
    --conv) conv="${2:?--conv needs auto, workgroup, register or register-wide (comma-separated, each optionally :layerwise)}"; shift ;;
    --out) out="${2:?--out needs a file}"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done
for n in "$anchors" "$max_mmac" "$runs" "$warmup"; do [[ "$n" =~ ^[0-9]+$ ]] || die "not a count: $n"; done
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
for c in ${conv//,/ }; do
  [[ "$c" =~ ^(auto|workgroup|register|register-wide)(:(layerwise|merged-projections|fused-adds))?$ ]] \
    || die "--conv: $c is not auto, workgroup, register or register-wide (optionally :layerwise, :merged-projections or :fused-adds)"
done

for pkg in "onnxruntime-web@$ORT_WEB_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"; do
  name=${pkg%@*}
  if ! grep -q "\"version\": \"${pkg##*@}\"" "$TOOLS/node_modules/$name/package.json" 2>/dev/null; then
    log "installing $pkg into $TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "$pkg" >/dev/null
  fi
done
if [ -z "${LETI_BIN:-}" ]; then
  cargo build --release --quiet --bin leti
  LETI_BIN="$PWD/target/release/leti"
fi
[ -x "$LETI_BIN" ] || die "LETI_BIN=$LETI_BIN is not an executable"
[ -s www/pkg/entry.js ] || LETI_BIN="$LETI_BIN" .ci/build-web

tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
root="$tmp/root"
mkdir -p "$root/onnx"
ln -s "$PWD/www/pkg" "$root/pkg"
ln -s "$TOOLS/node_modules/onnxruntime-web/dist" "$root/ort"
cp benches/ort_web/page.html benches/ort_web/page.js "$root/"
cp benches/ort_web/page.html "$root/index.html"

# The cells: the README cell and the first anchors, one compact JSON spec a file.
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' benches/ort_web/readme_cell.json > "$tmp/readme.json"
list=("README cell:$tmp/readme.json")
if [ "$anchors" -gt 0 ]; then
  # The anchors in their measuring order with their MACs; the first N within the cap.
  "$LETI_BIN" anchors > "$tmp/anchors.jsonl"
  python3 -c 'import json,sys; [print(json.dumps(json.loads(l)["cell"])) for l in open(sys.argv[1])]' "$tmp/anchors.jsonl" \
    | "$LETI_BIN" inspect > "$tmp/anchors-cost.jsonl"
  taken=0
  while IFS= read -r line && [ "$taken" -lt "$anchors" ]; do
    read -r rank mmac < <(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(c["line"] - 1, c["macs"] // 1000000)' "$line")
    [ "$mmac" -le "$max_mmac" ] || continue
    sed -n "$((rank + 1))p" "$tmp/anchors.jsonl" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["cell"]))' > "$tmp/anchor$rank.json"
    list+=("anchor $rank:$tmp/anchor$rank.json")
    taken=$((taken + 1))
  done < "$tmp/anchors-cost.jsonl"
fi
# Each cell's ONNX file, and its name with the module hash and the network's MACs.
entries=()
for item in "${list[@]}"; do
  name=${item%%:*} file=${item#*:}
  onnx="onnx/$(basename "$file" .json).onnx"
  "$LETI_BIN" export-onnx "$file" --out "$root/$onnx" >/dev/null
  entries+=("$("$LETI_BIN" inspect "$file" | python3 -c '
import json, sys
c = json.load(sys.stdin)
name = "%s `%s` (%.0f MMAC)" % (sys.argv[1], c["hash"][:8], c["macs"] / 1e6)
print(json.dumps({"name": name, "spec": open(sys.argv[2]).read().strip(), "onnx": "/" + sys.argv[3]}))' "$name" "$file" "$onnx")")
done
(IFS=,; echo "[${entries[*]}]") > "$tmp/cells.json"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LETI_BIN" serve --addr "127.0.0.1:$port" --db "$tmp/bench.sqlite" --web-root "$root" >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$tmp/serve.log" >&2; die "leti serve did not start"; }

ln -sfn "$TOOLS/node_modules" "$tmp/node_modules"
cp tests/e2e/harness.mjs benches/ort_web/bench.mjs "$tmp/"
log "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) vCPUs, $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
LETI_BENCH_ORIGIN="http://127.0.0.1:$port" LETI_BENCH_CELLS="$tmp/cells.json" LETI_BENCH_WARMUP="$warmup" \
  LETI_BENCH_RUNS="$runs" LETI_BENCH_CONV="$conv" LETI_BENCH_OUT="$out" node "$tmp/bench.mjs"
