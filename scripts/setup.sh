#!/usr/bin/env bash
# One-time set-up on a fresh machine: Debian packages used by tests (when root and apt exist), then npm packages.
# The onnxruntime-node install script (which downloads CUDA files) is denied in package.json "allowScripts".
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
need=()
/usr/bin/python3 -c 'import onnx' 2>/dev/null || need+=(python3-onnx)
[ -d /usr/share/libonnx-testdata/data/node ] || need+=(libonnx-testdata)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Independent readers and validators of the NIfTI and DICOM files we write, and an independent DICOM encoder.
/usr/bin/python3 -c 'import nibabel' 2>/dev/null || need+=(python3-nibabel)
/usr/bin/python3 -c 'import pydicom' 2>/dev/null || need+=(python3-pydicom)
command -v dciodvfy >/dev/null || need+=(dicom3tools)
command -v dcmcjpeg >/dev/null || need+=(dcmtk)
# The human T1 that samples/mri is cut from (1.7 MB): tests/data/load-resize.test.ts remakes the samples from it.
[ -f /usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz ] || need+=(insighttoolkit5-examples)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: not root or no apt-get; tests that need ${need[*]} will skip"
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
