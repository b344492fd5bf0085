#!/usr/bin/env bash
# CI: the README's first command on a fresh clone, as a new user runs it, so that a missing install
# step or a CPU assumption fails CI rather than the first person who tries.
#
# - a clean `git clone` of this checkout's HEAD into a temporary folder (no .venv, no build outputs);
# - HOME is an empty temporary folder: an empty ~/.cache (no ONNX export, no model cache, no pip
#   cache), so the export and quantisation run as on a fresh machine;
# - the int8 target forced to avx2 (INSPECTQA_QUANTIZATION_TARGET): on an AVX-512 CI machine this is
#   the path an AVX2-only CPU takes (its optimum file is model_quint8_avx2.onnx, not qint8);
# - `scripts/serve.sh` over a few real reports (the clone has no ../shared, so the corpus is passed
#   explicitly): the server must answer /healthz while the index is built in the background, /readyz
#   must report progress and then 200, and one question is answered over HTTP and through the CLI.
#
# Usage: .ci/fresh_clone.sh [CORPUS]   (default: ../shared/corpus/ilacs next to this checkout)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(cd "${1:-$repo/../shared/corpus/ilacs}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/inspectqa-fresh-XXXXXX")
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
say() { echo "fresh-clone: $*" >&2; }

git clone --quiet --no-hardlinks "$repo" "$work/inspectqa"
mkdir -p "$work/home" "$work/corpus/reports"
reports="bexley-2018-08-20 durham-2019-10-21 barnet-2017-07-07"
head -1 "$corpus/manifest.csv" >"$work/corpus/manifest.csv"
for id in $reports; do
    grep "^$id," "$corpus/manifest.csv" >>"$work/corpus/manifest.csv"
    ln -s "$corpus/reports/$id.pdf" "$work/corpus/reports/$id.pdf"
done

cd "$work/inspectqa"
export HOME="$work/home" INSPECTQA_QUANTIZATION_TARGET=avx2
unset PYTHONPATH INSPECTQA_INDEX INSPECTQA_CORPUS INSPECTQA_CACHE_DIR INSPECTQA_MODEL_PATH
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
say "in $work/inspectqa with HOME=$HOME (empty), target avx2"
started=$(date +%s)
scripts/setup.sh  # what serve.sh runs first; timed apart, as a fresh machine's install takes minutes
say "installed in $(($(date +%s) - started)) s; scripts/serve.sh on port $port"
started=$(date +%s)
scripts/serve.sh --corpus "$work/corpus" --index "$work/index" --port "$port" >"$work/serve.log" 2>&1 &
server=$!

status() { curl -s -o "$work/body" -w '%{http_code}' "$url$1" || true; }
fail() {
    say "$*"
    tail -c 4000 "$work/serve.log" >&2
    say "installed: $(.venv/bin/python -m pip list 2>/dev/null | tr -s ' ' | tr '\n' ' ' | cut -c1-3000)"
    exit 1
}

# serve.sh re-runs the (now quick) install, then must listen while the index is still being built.
for _ in $(seq 1 600); do
    [ "$(status /healthz)" = 200 ] && break
    kill -0 "$server" 2>/dev/null || fail "serve.sh exited before it listened"
    sleep 0.5
done
[ "$(status /healthz)" = 200 ] || fail "the server did not listen within 5 minutes"
say "listening after $(($(date +%s) - started)) s (the repeated install included)"
first=$(status /readyz)
say "/readyz $first: $(cut -c1-300 "$work/body")"
[ "$first" = 503 ] && grep -q '"state":"building"' "$work/body" || fail "no build progress in /readyz"
for _ in $(seq 1 1200); do
    code=$(status /readyz)
    [ "$code" = 200 ] && break
    [ "$code" = 503 ] || fail "/readyz answered $code while building"
    grep -q '"state":"failed"' "$work/body" && fail "the index build failed: $(cat "$work/body")"
    kill -0 "$server" 2>/dev/null || fail "the server exited while the index was built"
    sleep 0.5
done
[ "$(status /readyz)" = 200 ] || fail "the index was not ready within 10 minutes"
say "ready after $(($(date +%s) - started)) s: $(cut -c1-200 "$work/body")"

question="What did Ofsted say about care leavers in Bexley?"
code=$(curl -s -o "$work/answer.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"question\": \"$question\"}" "$url/ask")
[ "$code" = 200 ] || fail "POST /ask answered $code: $(cat "$work/answer.json")"
grep -q '"report_id":"bexley-2018-08-20"' "$work/answer.json" || fail "the answer cites no Bexley report"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/inspectqa ask --index "$work/index" "$question" --json >"$work/cli.json"
.venv/bin/python - "$work/cli.json" "$HOME" <<'EOF'
import json, pathlib, sys
answer = json.loads(pathlib.Path(sys.argv[1]).read_text())
assert not answer["abstained"], answer["answer"]
assert {c["report_id"] for c in answer["citations"]} == {"bexley-2018-08-20"}, answer["citations"]
exports = list(pathlib.Path(sys.argv[2], ".cache", "inspectqa", "models").glob("*/onnx/model_quint8_avx2.onnx"))
assert exports, "no AVX2 int8 export in the fresh ~/.cache"
print("fresh-clone: the CLI answered:", answer["answer"][:160], file=sys.stderr)
EOF
say "ok in $(($(date +%s) - started)) s"
