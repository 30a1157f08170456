#!/usr/bin/env bash
# eqv lie --layers on torchvision's resnet18 at 3x224x224 (batch 8): wall time as a multiple of the end-to-end LEE
# (eqv lie without --layers) on the same model and inputs, runs interleaved; peak RSS of each from /usr/bin/time -v.
# Needs the full-size models:  cd tests/fixtures/real && /usr/bin/python3 make_real_fixtures.py --full ../../../benchmarks/real-models
# Usage: bash benchmarks/lie-layers-real.sh [MODEL.pt] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-benchmarks/real-models/resnet18_scripted.pt}"
rounds="${2:-2}"
eqv=src/EquivarianceRegularizer.Cli/bin/Release/net10.0/linux-x64/eqv
args=(lie "$model" --input-shape 3,224,224 --samples 8 --batch-size 8 --generators translate-x -q)
run() {  # prints "seconds peak_kib exit"
  local log; log=$(mktemp)
  local start end code=0
  start=$(date +%s.%N)
  /usr/bin/time -v "$eqv" "${args[@]}" "$@" > /dev/null 2> "$log" || code=$?
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$log") $code"
  rm -f "$log"
}
echo "model $model, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  read -r t0 m0 c0 < <(run)
  read -r t1 m1 c1 < <(run --layers)
  echo "round $r: end-to-end LEE ${t0} s (peak RSS $((m0 / 1024)) MiB, exit $c0); --layers ${t1} s (peak RSS $((m1 / 1024)) MiB, exit $c1); ratio $(echo "scale=2; $t1 / $t0" | bc)"
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
