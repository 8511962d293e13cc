#!/usr/bin/env bash
# Reruns every measurement of BENCHMARKS.md in one go and keeps the raw outputs in one folder, so
# that the page can be refreshed from them. Run it from anywhere, on a quiet machine (on a 2-core
# machine it takes roughly half an hour; nothing else should run meanwhile):
#
#   bash experiments/bench/refresh_benchmarks.sh [--out DIR] [--quick]
#
#   --out DIR   where the raw outputs go (default: /tmp/actlab-benchmarks-<UTC date and time>)
#   --quick     tiny settings (a few steps, one round, a small study) to check that every step
#               of the script works; its figures mean nothing
#
# Environment: ACTLAB_BUILD (default build/release), ACTLAB_THREADS (default: all cores),
# ACTLAB_BENCH (the command that runs the W1-W3 throughput benchmark; default: `actlab bench`,
# which runs actlab-bench, built beside actlab).
#
# Every step writes its command and its output to a numbered file; 00_machine.txt records the
# machine, the date and the commit. A step that cannot run (no PyTorch for the comparison, for
# example) says why in its file, and the others still run. The script exits 1 if any step failed.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

out="${TMPDIR:-/tmp}/actlab-benchmarks-$(date -u +%Y-%m-%dT%H%M%SZ)"
quick=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --quick) quick=true; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "refresh_benchmarks.sh: unknown option $1 (known: --out DIR, --quick)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

build="${ACTLAB_BUILD:-build/release}"
bin="$build/bin"
threads="${ACTLAB_THREADS:-$(nproc)}"
actlab="$bin/actlab"
failed=0

# Runs one measurement: step NAME COMMAND...; its command line and output go to $out/NAME.txt.
step() {
  local name="$1"; shift
  local file="$out/$name.txt"
  echo "== $name: $*"
  { echo "\$ $*"; echo "# started $(date -u +%Y-%m-%dT%H:%M:%SZ)"; } >"$file"
  if "$@" >>"$file" 2>&1; then
    echo "# finished $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$file"
  else
    local rc=$?
    echo "# FAILED with exit code $rc" >>"$file"
    echo "   FAILED (exit code $rc): see $file" >&2
    failed=1
  fi
}

skip() {
  echo "== $1: skipped: $2"
  echo "skipped: $2" >"$out/$1.txt"
}

echo "refresh_benchmarks.sh: building what the measurements need"
cmake --build "$build" --target actlab actlab-bench activation_bench train_allocation_test -j2 \
  >"$out/build.log" 2>&1 || { echo "build failed: see $out/build.log" >&2; exit 1; }

# The W1-W3 benchmark.
if [ -n "${ACTLAB_BENCH:-}" ]; then
  read -r -a bench <<<"$ACTLAB_BENCH"
else
  bench=("$actlab" bench)
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "threads: $threads"
  echo "quick: $quick"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$actlab" --version
  echo
  lscpu
} >"$out/00_machine.txt" 2>&1

if $quick; then
  bench_args=(--workloads W1 --steps 20 --repeats 1)
  bench_one_thread_args=(--workloads W1 --steps 20 --repeats 1)
  pytorch_args=(--rounds 1 --steps 20 --workloads W1)
  activation_args=(--benchmark_filter='relu|gelu' --benchmark_min_time=0.01)
  memory_args=(--set data.train_subset=2000)
  study_args=(--set 'sweep.seed=[1]' --set train.epochs=1 --set data.train_subset=2000)
else
  bench_args=(--repeats 7)
  bench_one_thread_args=(--repeats 5)
  pytorch_args=(--rounds 3)
  activation_args=(--benchmark_repetitions=5 --benchmark_display_aggregates_only=true)
  memory_args=()
  study_args=()
fi

# 1. Training throughput against the GEMM-only limit (table, then one JSON line per round), and on
#    one thread.
step 01_bench "${bench[@]}" --threads "$threads" "${bench_args[@]}"
step 02_bench_json "${bench[@]}" --threads "$threads" "${bench_args[@]}" --json
step 03_bench_one_thread "${bench[@]}" --threads 1 "${bench_one_thread_args[@]}"

# 2. actlab against PyTorch (Debian's python3-torch; not installed by data/setup.sh).
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  step 04_compare_pytorch /usr/bin/python3 experiments/bench/compare_pytorch.py \
    --threads "$threads" --actlab "$actlab" "${pytorch_args[@]}"
else
  skip 04_compare_pytorch "PyTorch is not installed for /usr/bin/python3 (sudo apt install python3-torch)"
fi

# 3. Activations per element (one thread), and the page's table made from its JSON.
step 05_activation_bench "$bin/activation_bench" "${activation_args[@]}" \
  --benchmark_out="$out/05_activation_bench.json" --benchmark_out_format=json
step 06_activation_table python3 experiments/bench/activation_bench_table.py "$out/05_activation_bench.json"

# 4. Allocations per step: the allocation tests.
step 07_allocations "$bin/train_allocation_test"

# 5. Peak resident memory while training W2 for one epoch on all of Fashion-MNIST.
step 08_peak_memory /usr/bin/time -f "peak resident memory: %M KB; wall %e s" "$actlab" run \
  configs/quickstart.yaml --set 'model.hidden=[512,512,512]' --set model.activation=gelu \
  --set train.epochs=1 --set data.validation_size=0 "${memory_args[@]}" \
  --threads "$threads" --out "$out/runs/peak_memory"

# 6. Study wall times: the every-activation study with its default split, the main study, and the
#    two ways to split a study (alternating, twice each).
step 09_activations_fashion /usr/bin/time -f "wall %e s; peak resident memory %M KB" "$actlab" run \
  configs/activations_fashion.yaml "${study_args[@]}" --out "$out/runs/activations_fashion"
step 10_activations_fashion_summary "$actlab" summary "$out/runs/activations_fashion"
step 11_compare_activations /usr/bin/time -f "wall %e s; peak resident memory %M KB" "$actlab" run \
  configs/compare_activations.yaml "${study_args[@]}" --out "$out/runs/compare_activations"
split_args=(--set 'sweep.seed=[1]')
$quick && split_args+=(--set train.epochs=1 --set data.train_subset=2000)
for round in 1 2; do
  step "12_split_jobs2_threads1_round$round" /usr/bin/time -f "wall %e s" "$actlab" run \
    configs/compare_activations.yaml "${split_args[@]}" --jobs 2 --threads 1 \
    --out "$out/runs/split_a$round"
  step "13_split_jobs1_threads2_round$round" /usr/bin/time -f "wall %e s" "$actlab" run \
    configs/compare_activations.yaml "${split_args[@]}" --jobs 1 --threads 2 \
    --out "$out/runs/split_b$round"
done

echo "refresh_benchmarks.sh: raw outputs in $out"
exit "$failed"
