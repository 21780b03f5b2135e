#!/usr/bin/env bash
# Set up DAO Studio in ./.venv on a fresh Debian/Ubuntu machine with Python ≥ 3.10.
#   bash packaging/setup.sh            engine + CLI
#   bash packaging/setup.sh --app      + desktop app (PySide6, pyvista, ...)
#   bash packaging/setup.sh --test     + desktop app + test tools (pytest, pytest-qt)
# Torch: where no torch is installed, the CPU build torch==2.13.0 is installed first so pip does
# not pull a multi-GB CUDA build. Set DAO_TORCH="torch" (or any requirement) for a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=()
for arg in "$@"; do
  case "$arg" in
    --test) extras+=(app test) ;;
    --app) extras+=(app) ;;
    --dev) extras+=(app test dev) ;;
    *) echo "setup.sh: unknown option $arg (use --test, --app, --dev)" >&2; exit 2 ;;
  esac
done
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing ${DAO_TORCH:-torch==2.13.0} (CPU build)"
  "${PIP[@]}" install "${DAO_TORCH:-torch==2.13.0}"
fi
spec="."
if [ ${#extras[@]} -gt 0 ]; then
  spec=".[$(IFS=,; echo "${extras[*]}")]"
fi
stamp=".venv/.dao-installed-$(echo "$spec" | tr -c 'a-z0-9' '_')-$(sha256sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing $spec"
  "${PIP[@]}" install -e "$spec"
  touch "$stamp"
fi
