#!/usr/bin/env bash
# The measurements of BENCHMARKS.md's "GEMM engines and the FMA peak", in one script on one
# machine (quiet: nothing else should run; about 20 minutes on 2 cores):
#   1. `actlab bench --repeats 5 --save-gemm-table`: the cores' FMA peak, each GEMM engine on each
#      product of W1-W3 on one core, and each workload's training against the OpenBLAS-only and
#      the best-engine GEMM-only limits; it writes the engine table ($out/gemm_engines.json).
#   2. where a W1 step's time goes on one core: each of its products and passes alone
#      (training_bench), on the table's engines;
#   3. the peak memory of one epoch of W2 on all of Fashion-MNIST (BENCHMARKS.md's memory figure),
#      on OpenBLAS only and on the table's engines;
#   4. configs/activations_fashion.yaml twice, timed: on OpenBLAS for every product
#      (ACTLAB_GEMM=openblas, as before the engines existed), then on the table's engine for each
#      shape (ACTLAB_GEMM=auto).
#
#   bash experiments/bench/gemm_engines.sh [--out DIR] [--quick]
#
#   --out DIR   where the outputs go (default: /tmp/actlab-gemm-engines-<UTC date and time>)
#   --quick     a few steps, one round and four cells of one epoch, to check the script
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

out="${TMPDIR:-/tmp}/actlab-gemm-engines-$(date -u +%Y-%m-%dT%H%M%SZ)"
quick=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --quick) quick=true; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "gemm_engines.sh: unknown option $1 (known: --out DIR, --quick)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
actlab="${ACTLAB_BUILD:-build/release}/bin/actlab"
# The table this script measures, not the user's own.
export ACTLAB_GEMM_TABLE="$out/gemm_engines.json"

bench_args=(--repeats 5)
study_args=()
if $quick; then
  bench_args=(--repeats 1 --steps 20 --workloads W1)
  study_args=(--set train.epochs=1 --set 'sweep={model.activation: [relu, tanh], seed: [1, 2]}')
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with local changes)')"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|L2|L3|Hypervisor)'
  echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE:-(not set)}"
  "$actlab" --version
} | tee "$out/machine.txt"

echo "== actlab bench ${bench_args[*]} --save-gemm-table"
ACTLAB_GEMM=auto "$actlab" bench "${bench_args[@]}" --save-gemm-table | tee "$out/bench.txt"

echo "== W1's products and passes on one core (training_bench)"
min_time=0.5
$quick && min_time=0.01
ACTLAB_GEMM=auto "${ACTLAB_BUILD:-build/release}/bin/training_bench" --blas_threads=1 --benchmark_min_time=$min_time \
  --benchmark_filter='gemm_(forward|weight_grad|input_grad)/(784x256|256x256|256x10)$|activation/relu/256|softmax_cross_entropy|gather_batch|sgd_step/W1|gradient_square_sum/W1$|gemm_only_step/W1|train_step/W1/probes_off$' \
  2>&1 | tee "$out/w1_passes.txt"

for engine in openblas auto; do
  echo "== W2, one epoch, peak memory, ACTLAB_GEMM=$engine"
  ACTLAB_GEMM=$engine /usr/bin/time -f "ACTLAB_GEMM=$engine: peak memory %M KB" -a -o "$out/memory.txt" \
    "$actlab" run configs/quickstart.yaml --out "$out/w2-$engine" --overwrite \
    --set 'model.hidden=[512,512,512]' --set model.activation=gelu --set train.epochs=1 \
    --set data.validation_size=0 >"$out/w2-$engine.log" 2>&1
  tail -n 1 "$out/memory.txt"
done

for engine in openblas auto; do
  echo "== configs/activations_fashion.yaml, ACTLAB_GEMM=$engine"
  rm -rf "$out/study-$engine"
  start=$(date +%s.%N)
  rc=0  # a study with diverged cells exits 1; its wall time still counts
  ACTLAB_GEMM=$engine "$actlab" run configs/activations_fashion.yaml --out "$out/study-$engine" \
    ${study_args[@]+"${study_args[@]}"} >"$out/study-$engine.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  echo "ACTLAB_GEMM=$engine: wall time $wall s, exit code $rc" | tee -a "$out/studies.txt"
done
echo "outputs in $out"
