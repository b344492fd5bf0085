#!/usr/bin/env bash
# Installs inspectqa, then serves the default corpus, building its index first when it is missing.
# Usage: scripts/serve.sh [inspectqa serve options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/inspectqa serve "$@"
