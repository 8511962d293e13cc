#!/usr/bin/env bash
# Installs everything actlab needs on Debian 12, from Debian's own packages: the compiler and CMake,
# the libraries it links (OpenBLAS, spdlog, yaml-cpp, CLI11, zlib, nlohmann-json), the test and
# benchmark frameworks (GoogleTest, Google Benchmark), matplotlib for reports, and the
# Fashion-MNIST data set (dataset-fashion-mnist, files in /usr/share/datasets/fashion-mnist).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
  build-essential cmake git pkg-config
  libopenblas-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev zlib1g-dev
  nlohmann-json3-dev libgtest-dev libbenchmark-dev
  python3 python3-matplotlib
  dataset-fashion-mnist
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "data/setup.sh: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "data/setup.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "data/setup.sh: all packages present"
fi
