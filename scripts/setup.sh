#!/usr/bin/env bash
# Installs everything inspectqa needs into .venv, from scratch on a fresh machine.
# Usage: scripts/setup.sh [--test]   (--test adds the test tools and Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch first, pinned: the local CPU build (an unpinned torch pulls a multi-GB CUDA build).
.venv/bin/python -m pip install --quiet "torch==2.13.0"
if [ "${1:-}" = "--test" ]; then
    .venv/bin/python -m pip install --quiet -e ".[test]"
    if ! command -v chromium >/dev/null; then
        echo "setup: installing Debian's chromium for the browser tests" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
    fi
else
    .venv/bin/python -m pip install --quiet -e .
fi
