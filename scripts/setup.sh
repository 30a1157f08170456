#!/usr/bin/env bash
# Installs what the project needs on Debian 12 when it is missing, then builds everything. TorchSharp 0.107 and
# libtorch 2.10 (CPU) come from NuGet at restore; the build marks one unused libstdc++ version requirement of
# TorchSharp's native library weak on hosts that lack it (docs/native-loading.md). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need+=(dataset-fashion-mnist)
if [ "${ERT_WITH_BROWSER:-1}" = 1 ]; then
  dpkg -s chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} with apt" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK (10.0) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build EquivarianceRegularizer.sln -c Release -nologo -v q -clp:ErrorsOnly
