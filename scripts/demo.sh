#!/usr/bin/env bash
# The README's main demo: set-up (apt packages when missing, Release build), then the Fashion-MNIST rot90 example
# (examples/FashionMnistRotation): the same small CNN trained plainly, with random quarter turns (augmentation), with
# the equivariance regularizer, with both, with λ by dual ascent toward ε, and averaged over the four turns; then
# accuracy upright and under each turn, prediction kept under all turns, equivariance error, training and inference cost.
#   bash scripts/demo.sh            # the --quick cut: 6,000 training images, 1 epoch, 500 test images, seed 1: plain, augmentation, regularizer λ = 1, group-averaged
#   bash scripts/demo.sh --default  # the example's default settings: the full comparison (see examples/FashionMnistRotation/README.md)
#   bash scripts/demo.sh --labels 1000 ...   # any example options (here: the few-labels comparison)
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
