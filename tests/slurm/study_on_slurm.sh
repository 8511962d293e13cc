#!/usr/bin/env bash
# A shortened compare_activations study through a real Slurm (tests/slurm/cluster.sh), with the
# shipped batch files experiments/slurm/study.sbatch and merge.sbatch:
#   - 4 cells as an array of 4 shards, two running at a time;
#   - while they run, shard 1 is requeued (scontrol requeue: SIGTERM from Slurm, then a new start)
#     and shard 2 gets the time-limit signal that study.sbatch asks for (USR1 to the batch script,
#     sent here with scancel, as Slurm's --signal would): both must end `interrupted` and continue
#     from their checkpoint on their next start;
#   - the merge job runs after the array with --dependency=afterany;
#   - summary.csv and every cell's metrics.jsonl and probes.csv must equal, bit for bit (timing
#     fields aside), those of the same study run by `actlab run` on this machine.
#
#   tests/slurm/study_on_slurm.sh ACTLAB_PROGRAM
#
# Exits 77 (skipped) when Slurm cannot start here, unless ACTLAB_REQUIRE_SLURM=1 (CI) makes that
# a failure.
set -euo pipefail
actlab=$(realpath "${1:?usage: $0 ACTLAB_PROGRAM}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/actlab-slurm.XXXXXX)
cluster="$work/cluster"

stop() { "$repo/tests/slurm/cluster.sh" stop "$cluster" || true; }
trap stop EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/jobs/slurm-*.out; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  squeue >&2 || true
  exit 1
}

status=0
env_line=$("$repo/tests/slurm/cluster.sh" start "$cluster") || status=$?
if [ "$status" -ne 0 ]; then
  if [ "$status" -eq 77 ] && [ "${ACTLAB_REQUIRE_SLURM:-0}" != 1 ]; then
    echo "SKIPPED: Slurm cannot start on this machine (see above)"
    exit 77
  fi
  echo "FAIL: Slurm did not start (exit $status)" >&2
  exit 1
fi
eval "$env_line"

# The shortened study: 4 cells, each long enough to be stopped in the middle: task 2's cell runs
# while task 1's requeue is dealt with, and must not be finished when its own signal comes (30
# epochs: a few seconds on a fast machine).
study_args=(
  --set 'sweep={model.activation: [relu, tanh], seed: [1, 2]}'
  --set data.train_subset=12000 --set data.validation_size=1000
  --set train.epochs=30 --set threads=1
)
study="$repo/configs/compare_activations.yaml"

echo "== the reference: the same study with actlab run"
"$actlab" run "$study" "${study_args[@]}" --out "$work/reference" --jobs 1 >"$work/reference.out" 2>&1 ||
  { cat "$work/reference.out"; fail "the reference study failed"; }

echo "== the study as a Slurm array of 4 shards"
mkdir -p "$work/jobs"
cd "$work/jobs"
export ACTLAB=$actlab
array=$(sbatch --parsable --array=1-4 --cpus-per-task=1 --time=00:10:00 \
  "$repo/experiments/slurm/study.sbatch" "$study" "${study_args[@]}" --out "$work/slurm")
merge=$(sbatch --parsable --dependency="afterany:$array" "$repo/experiments/slurm/merge.sbatch" \
  "$work/slurm")
echo "array job $array, merge job $merge"

# Waits until array task $1 has finished $2 epochs of its cell (seed 1 of relu, then seed 2, ...).
cells=("activation=relu,seed=1" "activation=relu,seed=2" "activation=tanh,seed=1" "activation=tanh,seed=2")
wait_for_epochs() {
  local metrics="$work/slurm/${cells[$(($1 - 1))]}/metrics.jsonl"
  for _ in $(seq 600); do
    [ -f "$metrics" ] && [ "$(wc -l <"$metrics")" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "array task $1 did not finish $2 epoch(s) within 60 s"
}
# Waits until the cell of array task $1 has written its `interrupted` status, and the task is
# pending again; then lets it start at once (Slurm holds a requeued job for two minutes).
wait_for_interrupted_and_requeued() {
  local summary="$work/slurm/${cells[$(($1 - 1))]}/summary.json"
  for _ in $(seq 600); do
    grep -q '"status": *"interrupted"' "$summary" 2>/dev/null &&
      [ "$(squeue -h -j "${array}_$1" -o %T)" = PENDING ] &&
      scontrol update JobId="${array}_$1" StartTime=now && return 0
    sleep 0.1
  done
  fail "array task $1 did not end interrupted and requeued"
}

wait_for_epochs 1 1
scontrol requeue "${array}_1"
wait_for_interrupted_and_requeued 1
echo "task 1: requeued after its first epoch, ended interrupted"

wait_for_epochs 2 1
scancel --batch --signal=USR1 "${array}_2"
wait_for_interrupted_and_requeued 2
echo "task 2: time-limit signal after its first epoch, ended interrupted"

for _ in $(seq 1800); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h -j "$array,$merge")" ] || fail "the jobs did not end within 6 minutes"
state=$(sacct -n -X -j "$merge" -o State 2>/dev/null | tr -d ' ' || true)
[ -f "$work/slurm/summary.csv" ] || fail "the merge job wrote no summary.csv (state: $state)"

for task in 1 2; do
  out="$work/jobs/slurm-${array}_${task}.out"
  log="$work/slurm/${cells[$((task - 1))]}/log.txt"
  [ "$(grep -c "interrupted" "$out")" -ge 1 ] && [ "$(grep -c "study compare_activations: 4 cells" "$out")" -eq 2 ] ||
    fail "task $task's output does not show an interrupted start and a second one: $out"
  grep -q "resuming after epoch" "$log" || fail "task $task's cell did not continue from its checkpoint: $log"
done
grep -q "out of time, requeued to continue" "$work/jobs/slurm-${array}_2.out" ||
  fail "task 2 did not requeue itself after the time-limit signal"

echo "== the Slurm study against the reference"
python3 - "$work/reference" "$work/slurm" <<'EOF'
import csv, json, pathlib, sys

TIMING = {"seconds", "samples_per_second"}
reference, slurm = map(pathlib.Path, sys.argv[1:])

def rows_of_csv(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(f)]

def rows_of_jsonl(path):
    return [{k: v for k, v in json.loads(line).items() if k not in TIMING}
            for line in path.read_text().splitlines()]

def same(name, a, b):
    if a != b:
        sys.exit(f"FAIL: {name} differs from the reference")

cells = sorted(p.name for p in reference.iterdir() if (p / "metrics.jsonl").exists())
if len(cells) != 4:
    sys.exit(f"FAIL: the reference has {len(cells)} cells, not 4")
same("summary.csv", rows_of_csv(reference / "summary.csv"), rows_of_csv(slurm / "summary.csv"))
for cell in cells:
    same(f"{cell}/metrics.jsonl", rows_of_jsonl(reference / cell / "metrics.jsonl"),
         rows_of_jsonl(slurm / cell / "metrics.jsonl"))
    same(f"{cell}/probes.csv", (reference / cell / "probes.csv").read_bytes(),
         (slurm / cell / "probes.csv").read_bytes())
print(f"summary.csv and {len(cells)} cells' metrics.jsonl and probes.csv equal the reference")
EOF
stop
[ -n "${KEEP:-}" ] || rm -rf "$work"
echo "PASS"
