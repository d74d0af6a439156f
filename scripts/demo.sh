#!/usr/bin/env bash
# Run the hutong demo: `bash scripts/demo.sh [ARGS...]`.
# Sets up .venv (see scripts/_venv.sh) and hands over to `hutong demo ARGS...`.
set -euo pipefail

# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$hutong_repo_root"

hutong_ensure_venv
exec .venv/bin/hutong demo "$@"
