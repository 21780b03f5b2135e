#!/usr/bin/env bash
# One GPU job (train or resume within a wall-clock budget, sample the test split, write outputs).
#   bash packaging/gpu_job.sh gpu_data/perov_5 [--minutes 8.5 --shots 1,20 ...]
# Output goes to $OUT (the device tool's folder) or out/gpu_job. Set DAO_NPROC=N for N GPUs
# (torchrun, DDP). Needs only torch and numpy: no pymatgen, spglib or smact.
set -euo pipefail
arrays="${1:?usage: gpu_job.sh gpu_data/<name> [gpu_job options]}"
shift
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
out="${OUT:-out/gpu_job}"
python3 -c 'import torch, numpy' 2>/dev/null || { echo "torch and numpy are needed" >&2; exit 2; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
if [[ "${DAO_NPROC:-1}" -gt 1 ]]; then
  exec python3 -m torch.distributed.run --standalone --nproc_per_node "$DAO_NPROC" \
    -m dao_engine.gpu_job --arrays "$arrays" --out "$out" "$@"
fi
exec python3 -m dao_engine.gpu_job --arrays "$arrays" --out "$out" "$@"
