#!/usr/bin/env bash
# Activations from a formula against their native versions, both measurements of BENCHMARKS.md
# "Activations from a formula" in one go, on a Release build (run on a quiet machine):
#   1. activation_bench: forward and backward per element of mish, gelu_sigmoid and relu, native
#      and as a formula (1M floats, 3 repetitions, the median shown);
#   2. actlab bench: W1 training throughput with relu and mish, native (W1, W1m) and as a formula
#      (W1f, W1m-f), measured in one process, rounds interleaved.
#
#   bash experiments/bench/formula_speed.sh [--repeats N]      (default 3 measured rounds)
#
# Environment: ACTLAB_BUILD (default build/release), ACTLAB_THREADS (default: all cores).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
repeats=3
if [ "${1:-}" = "--repeats" ]; then repeats="$2"; fi
bin="${ACTLAB_BUILD:-build/release}/bin"
threads="${ACTLAB_THREADS:-$(nproc)}"

echo "== activation_bench: seconds per element (median of 3)"
"$bin/activation_bench" \
  --benchmark_filter='^(forward|backward)/(formula_)?(mish|gelu_sigmoid|relu)$' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>&1 | grep -E 'median|^-|Benchmark'

echo "== actlab bench: W1 samples/s, native and formula activations"
"$bin/actlab" bench --workloads W1 W1f W1m W1m-f --repeats "$repeats" --threads "$threads"
