#!/usr/bin/env bash
# GPU check, one command: the small and base models (or the .onnx files given) on CPU and CUDA, in
# float32 and float16; outputs compared with CPU float32; images/s for each. Needs an NVIDIA GPU,
# `npm run setup:cuda` done, and the CUDA 13 / cuDNN 9 libraries (docs/cuda.md). Under five minutes.
#
# Usage: bash bench/gpu.sh [bench/gpu.ts options] [MODEL.onnx ...]
#   without models: compiled/oneprompt-{small,base}.onnx, compiled into runs/gpu/ first where missing
#   --cpu-only: the CPU half only (no GPU needed), to check this script and the float16 model anywhere
set -euo pipefail
cd "$(dirname "$0")/.."

cpu_only=false
models=()
for a in "$@"; do
  [ "$a" = --cpu-only ] && cpu_only=true
  case "$a" in *.onnx) models+=("$a") ;; esac
done

if ! $cpu_only; then
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "bench/gpu.sh: no NVIDIA GPU here (nvidia-smi missing or failing); this check needs one (--cpu-only runs its CPU half). See docs/cuda.md." >&2
    exit 3
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | sed 's/^/gpu: /'

  # CUDA libraries from Python wheels (nvidia-cublas, nvidia-cudnn-cu13, ...), when LD_LIBRARY_PATH lacks them.
  wheel_dirs=$(/usr/bin/env python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
hits = sorted({os.path.dirname(p) for r in roots for p in glob.glob(os.path.join(r, "nvidia/*/lib/libcu*.so*"))})
print(":".join(hits))
PY
  )
  if [ -n "$wheel_dirs" ]; then
    export LD_LIBRARY_PATH="$wheel_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "gpu: LD_LIBRARY_PATH += $wheel_dirs"
  fi

  bash scripts/setup-cuda.sh --status | sed 's/^setup:cuda: /gpu: /'
  npx tsx scripts/cuda-probe.ts || exit 3
fi

# Without model paths: small and base, compiled now (seconds) where compiled/ does not hold them.
if [ ${#models[@]} -eq 0 ]; then
  for config in small base; do
    f=compiled/oneprompt-$config.onnx
    if [ ! -f "$f" ]; then
      f=runs/gpu/oneprompt-$config.onnx
      [ -f "$f" ] || node bin/oneprompt.mjs compile --config "$config" --out "$f" >/dev/null
      echo "gpu: compiled $f"
    fi
    set -- "$@" "$f"
  done
fi
# The whole check stays under five minutes: two models × four variants × (warm-up + 4 s).
exec timeout 280 npx tsx bench/gpu.ts "$@"
