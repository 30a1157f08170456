#!/usr/bin/env bash
# Measures what the README's RuntimeIdentifier tip is about: the output of a new console app that references the packed
# library and TorchSharp-cpu, built and published without and with RuntimeIdentifier=linux-x64 (framework-dependent).
# Usage: bash scripts/measure-app-size.sh [SCRATCH_DIR]   (default /tmp/eqvr-app-size; about 3 GB of scratch disk)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${1:-/tmp/eqvr-app-size}"
version="0.0.0-size.$(date -u +%Y%m%d%H%M%S)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf "$scratch" && mkdir -p "$scratch/app"
dotnet pack "$repo/src/EquivarianceRegularizer" -c Release -o "$scratch/feed" -p:Version="$version" --artifacts-path "$scratch/artifacts" -nologo -v q
cd "$scratch/app"
dotnet new console -n SizeApp -o . >/dev/null
printf '<configuration><packageSources><add key="eqvr-feed" value="%s" /></packageSources></configuration>\n' "$scratch/feed" > nuget.config
dotnet add package EquivarianceRegularizer --version "$version" >/dev/null
dotnet add package TorchSharp-cpu --version 0.107.0 >/dev/null
cat > Program.cs <<'CS'
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;
var x = rand(1, 1, 4, 4);
System.Console.WriteLine($"{new RotationByQuarterTurns().Name} on a tensor of rank {x.shape.Length}");
CS
rid=(-p:RuntimeIdentifier=linux-x64 -p:SelfContained=false)
dotnet build -c Release -nologo -v q -clp:ErrorsOnly -o build-without-rid
dotnet build -c Release -nologo -v q -clp:ErrorsOnly "${rid[@]}" -o build-with-rid
dotnet publish -c Release -nologo -v q -clp:ErrorsOnly -o publish-without-rid
dotnet publish -c Release -nologo -v q -clp:ErrorsOnly "${rid[@]}" -o publish-with-rid
dotnet build-with-rid/SizeApp.dll
for d in build-without-rid build-with-rid publish-without-rid publish-with-rid; do
  echo "$d: $(du -sm "$d" | cut -f1) MiB ($(du -sb "$d" | cut -f1) bytes, $(find "$d" -type f | wc -l) files)"
done
