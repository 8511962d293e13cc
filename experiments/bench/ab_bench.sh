#!/bin/bash
# Two builds of actlab, A and B, measured alternately with `actlab bench --json` on a machine whose
# speed changes (BENCHMARKS.md: this VM's 2-thread GEMM rate is either ~148k or ~100k samples/s for
# W1). Before each A/B pair it probes the W1 GEMM-only rate with training_bench and waits until it
# is at least MIN_K thousand samples/s, so both builds run at full speed, back to back.
#   experiments/bench/ab_bench.sh OLD/actlab NEW/actlab out.jsonl [SECONDS] [MIN_K] [THREADS]
#   python3 experiments/bench/ab_bench_summary.py out.jsonl
# Every JSON line gets "binary": "A" or "B" and "pair": N. Copy the binaries somewhere first if you
# keep building: a binary replaced mid-run measures something else.
set -euo pipefail
a=$1 b=$2 out=$3 seconds=${4:-3600} min_k=${5:-135} threads=${6:-2}
probe=$(dirname "$0")/../../build/release/bin/training_bench
end=$(($(date +%s) + seconds))
pair=0
while [ "$(date +%s)" -lt "$end" ]; do
  rate=$("$probe" --blas_threads="$threads" --benchmark_filter='gemm_only_step/W1' \
    --benchmark_min_time=0.2 2>/dev/null | sed -n 's/.*samples\/s=\([0-9]*\).*k\/s.*/\1/p')
  echo "$(date -u +%H:%M:%S) W1 GEMM-only ${rate:-?}k samples/s" >&2
  if [ "${rate:-0}" -lt "$min_k" ]; then
    sleep 30
    continue
  fi
  pair=$((pair + 1))
  for label in A B; do
    binary=$([ "$label" = A ] && echo "$a" || echo "$b")
    "$binary" bench --threads "$threads" --repeats 3 --json 2>/dev/null |
      sed "s/^{/{\"binary\":\"$label\",\"pair\":$pair,/" >>"$out"
  done
done
