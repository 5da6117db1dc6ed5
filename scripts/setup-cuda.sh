#!/usr/bin/env bash
# Opt-in CUDA set-up for onnxruntime-node (`npm run setup:cuda`; never part of the default install).
#
# onnxruntime-node looks for libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so
# beside its binding (node_modules/onnxruntime-node/bin/napi-v6/linux/x64/) but does not ship them;
# its own installer fetches them from NuGet. A provider library loads only into the ONNX Runtime
# version it was built for, so this script checks versions before copying anything.
#
#   npm run setup:cuda                      npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
#                                           (ONNX Runtime 1.29.0, CUDA 13, cuDNN 9): copies its libraries
#                                           when onnxruntime-node is 1.29.0, else explains and exits 3
#   npm run setup:cuda -- --pin             the same, after installing onnxruntime-node@<provider version>
#                                           in node_modules (package.json untouched; `npm ci` undoes it)
#   npm run setup:cuda -- --nuget FILE      libraries from a downloaded Microsoft.ML.OnnxRuntime.Gpu.Linux
#                                           .nupkg (same version as onnxruntime-node)
#   npm run setup:cuda -- --nuget-download  download that .nupkg from nuget.org first (needs internet)
#   npm run setup:cuda -- --status          show what is installed, change nothing
#
# Exit codes: 0 installed (or status shown), 2 usage or platform, 3 version mismatch, 4 download/extract failed.
set -euo pipefail
cd "$(dirname "$0")/.."

GPU_PKG=com.github.asus4.onnxruntime.linux-x64-gpu
GPU_PKG_VERSION=0.4.9
NUGET_ID=Microsoft.ML.OnnxRuntime.Gpu.Linux
SIDE=.cuda # git-ignored side folder for downloads
BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
LIBS=(libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so)

say() { echo "setup:cuda: $*"; }
die() {
  local code=$1
  shift
  echo "setup:cuda: $*" >&2
  exit "$code"
}

mode=npm
nupkg=
case "${1:-}" in
  '') ;;
  --pin) mode=pin ;;
  --nuget)
    mode=nuget
    nupkg=${2:-}
    [ -n "$nupkg" ] && [ -f "$nupkg" ] || die 2 "--nuget needs the path of a downloaded $NUGET_ID .nupkg"
    ;;
  --nuget-download) mode=nuget-download ;;
  --status) mode=status ;;
  -h | --help)
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die 2 "unknown option '$1' (try --help)" ;;
esac

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die 2 "CUDA provider libraries are set up for Linux x86-64 only (this is $(uname -s)/$(uname -m))"
[ -f node_modules/onnxruntime-node/package.json ] || die 2 "node_modules/onnxruntime-node is missing; run scripts/setup.sh (or npm ci) first"

ort_node_version() { node -p "require('./node_modules/onnxruntime-node/package.json').version"; }
lib_version() { node scripts/ort-lib-version.mjs "$1"; }
archs() { npx --no-install tsx scripts/cuda-archs.ts "$1" 2>&1 | sed "s|^$1: ||"; } # GPUs its kernels run on
cuda_needs() { # the CUDA/cuDNN libraries a provider library links against
  if command -v readelf >/dev/null; then readelf -d "$1" | sed -n 's/.*Shared library: \[\(libcu[a-zA-Z]*\.so\.[0-9]*\)\].*/\1/p' | tr '\n' ' '; fi
}

show_status() {
  say "onnxruntime-node $(ort_node_version) in $BIN"
  for lib in "${LIBS[@]}"; do
    if [ -f "$BIN/$lib" ]; then
      local v
      v=$(lib_version "$BIN/$lib")
      say "  $lib present${v:+ (built as ONNX Runtime $v)}"
      [ "$lib" = libonnxruntime_providers_cuda.so ] && say "  $(archs "$BIN/$lib")"
    else
      say "  $lib missing"
    fi
  done
}

if [ "$mode" = status ]; then
  show_status
  exit 0
fi

ORT_NODE=$(ort_node_version)
mkdir -p "$SIDE"

extract_nupkg() { # FILE DEST: the two libraries from runtimes/linux-x64/native/
  local file=$1 dest=$2
  mkdir -p "$dest"
  /usr/bin/env python3 - "$file" "$dest" "${LIBS[@]}" <<'PY' || die 4 "could not extract the provider libraries from $file"
import sys, zipfile, os
src, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(src) as z:
    for n in names:
        data = z.read(f"runtimes/linux-x64/native/{n}")
        with open(os.path.join(dest, n), "wb") as f:
            f.write(data)
PY
}

case "$mode" in
  npm | pin)
    SRC="$SIDE/npm/node_modules/$GPU_PKG/Plugins/Linux/x64"
    if [ ! -f "$SRC/libonnxruntime_providers_cuda.so" ]; then
      say "installing $GPU_PKG@$GPU_PKG_VERSION into $SIDE/npm (about 600 MB unpacked)"
      npm install --prefix "$SIDE/npm" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "$GPU_PKG@$GPU_PKG_VERSION" >/dev/null ||
        die 4 "npm could not install $GPU_PKG@$GPU_PKG_VERSION"
    fi
    ;;
  nuget)
    SRC="$SIDE/nuget"
    extract_nupkg "$nupkg" "$SRC"
    ;;
  nuget-download)
    SRC="$SIDE/nuget"
    url="https://www.nuget.org/api/v2/package/$NUGET_ID/$ORT_NODE"
    say "downloading $url"
    curl -fL --retry 2 -o "$SIDE/$NUGET_ID.$ORT_NODE.nupkg" "$url" || die 4 "download failed (no internet? use --nuget FILE with a package fetched elsewhere)"
    extract_nupkg "$SIDE/$NUGET_ID.$ORT_NODE.nupkg" "$SRC"
    ;;
esac

for lib in "${LIBS[@]}"; do [ -f "$SRC/$lib" ] || die 4 "$lib not found in $SRC"; done
PROVIDER=$(lib_version "$SRC/libonnxruntime_providers_cuda.so")
[ -n "$PROVIDER" ] || die 4 "could not read the ONNX Runtime version of $SRC/libonnxruntime_providers_cuda.so"
NEEDS=$(cuda_needs "$SRC/libonnxruntime_providers_cuda.so")
say "onnxruntime-node: $ORT_NODE; CUDA provider: ONNX Runtime $PROVIDER${NEEDS:+, links $NEEDS}"

if [ "$PROVIDER" != "$ORT_NODE" ]; then
  if [ "$mode" = pin ]; then
    say "installing onnxruntime-node@$PROVIDER into node_modules (package.json and the lock file unchanged; npm ci restores $ORT_NODE)"
    ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --ignore-scripts --no-audit --no-fund "onnxruntime-node@$PROVIDER" >/dev/null ||
      die 4 "npm could not install onnxruntime-node@$PROVIDER"
    ORT_NODE=$(ort_node_version)
    [ "$ORT_NODE" = "$PROVIDER" ] || die 3 "onnxruntime-node is still $ORT_NODE after pinning"
  else
    cat >&2 <<EOF
setup:cuda: version mismatch, nothing copied.
  onnxruntime-node in node_modules:  $ORT_NODE
  CUDA provider libraries:           $PROVIDER (from $mode)
A provider library loads only into the ONNX Runtime it was built with. Two routes:
  1. Pin onnxruntime-node $PROVIDER for CUDA (npm registry only):
       npm run setup:cuda -- --pin
     installs onnxruntime-node@$PROVIDER into node_modules without touching package.json; npm ci undoes it.
  2. NuGet (needs nuget.org): Microsoft's provider libraries built for $ORT_NODE:
       npm run setup:cuda -- --nuget-download
     or fetch https://www.nuget.org/api/v2/package/$NUGET_ID/$ORT_NODE elsewhere and run
       npm run setup:cuda -- --nuget path/to/$NUGET_ID.$ORT_NODE.nupkg
     (check which CUDA major it links: the script prints it; docs/cuda.md has the LD_LIBRARY_PATH).
EOF
    exit 3
  fi
fi

for lib in "${LIBS[@]}"; do install -m 0755 "$SRC/$lib" "$BIN/$lib"; done
say "copied ${LIBS[*]} into $BIN"
say "$(archs "$BIN/libonnxruntime_providers_cuda.so")"

# Which CUDA libraries the dynamic linker cannot find yet (ONNX Runtime opens cuDNN later, by name).
if command -v ldd >/dev/null; then
  missing=$(ldd "$BIN/libonnxruntime_providers_cuda.so" 2>/dev/null | sed -n 's/^\s*\(\S*\) => not found/\1/p' | tr '\n' ' ')
  if [ -n "$missing" ]; then
    say "not found by the dynamic linker yet: $missing"
    dirs=$(/usr/bin/env python3 - <<'PY' 2>/dev/null || true
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()]
hits = set()
for r in roots:
    for pat in ("nvidia/*/lib/libcu*.so*", "nvidia/*/*/lib/libcu*.so*"):
        hits.update(os.path.dirname(p) for p in glob.glob(os.path.join(r, pat)))
print(":".join(sorted(hits)))
PY
)
    if [ -n "$dirs" ]; then
      say "found CUDA libraries from Python wheels; before running, export"
      echo "  export LD_LIBRARY_PATH=$dirs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    else
      say "install them (e.g. pip install nvidia-cublas nvidia-cudnn-cu13 nvidia-cuda-runtime nvidia-curand) and set LD_LIBRARY_PATH: see docs/cuda.md"
    fi
  fi
fi
say "check with: npx tsx scripts/cuda-probe.ts   (then bench/gpu.sh on a machine with an NVIDIA GPU)"
