#!/usr/bin/env bash
# The README's main demo: set-up (apt packages when missing, Release build), then the
# Fashion-MNIST rot90 example (examples/FashionMnistRotation): a small CNN trained plainly, with the
# equivariance regularizer, and with alternating steps, then accuracy on upright/rotated test images and each
# model's equivariance error.
#   bash scripts/demo.sh            # the --quick cut: 6,000 training images, 1 epoch, 2,000 test images
#   bash scripts/demo.sh --default  # the example's default settings (see examples/FashionMnistRotation/README.md)
#   bash scripts/demo.sh --epochs 3 --train-limit 60000 ...   # any example options
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
  set -- --quick
elif [ "$1" = "--default" ]; then
  shift
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run -c Release --no-build --project examples/FashionMnistRotation -- "$@"
