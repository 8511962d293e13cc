#!/usr/bin/env python3
"""Two training runs at once with one thread each, or one after the other with two?

    python3 experiments/bench/parallel_runs.py [--rounds 3] [--epochs 1]

For each reference workload (W1-W3, as `configs/quickstart.yaml` with the workload's hidden widths
and activation), a round times a pair of complete `actlab run`s (data loading, training, evaluation)
both ways, alternating:
  1×2  the two runs one after the other, each with --threads 2;
  2×1  the two runs side by side, each with --threads 1.
Throughput is the pair's training samples over its wall time. A study of many cells runs them the
faster way; the study runner's default jobs/threads split comes from this measurement. Standard
library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = {
    "W1": ("[256,256]", "relu"),
    "W2": ("[512,512,512]", "gelu"),
    "W3": ("[" + ",".join(["128"] * 10) + "]", "tanh"),
}


def command(binary, workload, epochs, threads, out):
    hidden, activation = WORKLOADS[workload]
    return [binary, "run", os.path.join(REPO, "configs/quickstart.yaml"),
            "--set", f"model.hidden={hidden}", "--set", f"model.activation={activation}",
            "--set", f"train.epochs={epochs}", "--threads", str(threads), "--out", out]


def pair(binary, workload, epochs, side_by_side, scratch):
    outs = [os.path.join(scratch, f"{workload}_{side_by_side}_{i}") for i in range(2)]
    threads = 1 if side_by_side else 2
    start = time.perf_counter()
    if side_by_side:
        procs = [subprocess.Popen(command(binary, workload, epochs, threads, o),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for o in outs]
        for p in procs:
            if p.wait() != 0:
                raise SystemExit(f"actlab run failed for {workload}")
    else:
        for o in outs:
            subprocess.run(command(binary, workload, epochs, threads, o), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    samples = 0.0
    for o in outs:
        with open(os.path.join(o, "metrics.jsonl")) as f:
            for line in f:
                epoch = json.loads(line)
                samples += epoch["samples_per_second"] * epoch["seconds"]
    return samples / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS))
    parser.add_argument("--actlab", default=os.path.join(REPO, "build/release/bin/actlab"))
    args = parser.parse_args()

    results = {w: {"1x2": [], "2x1": []} for w in args.workloads}
    with tempfile.TemporaryDirectory(prefix="actlab_parallel_") as scratch:
        for round_ in range(1, args.rounds + 1):
            for w in args.workloads:
                sequential = pair(args.actlab, w, args.epochs, False, scratch)
                parallel = pair(args.actlab, w, args.epochs, True, scratch)
                results[w]["1x2"].append(sequential)
                results[w]["2x1"].append(parallel)
                print(f"round {round_} {w}: 1x2 {sequential:.0f}, 2x1 {parallel:.0f} samples/s "
                      f"(load average {os.getloadavg()[0]:.2f})", flush=True)
    print()
    print("| workload | 1 run × 2 threads, samples/s | 2 runs × 1 thread, samples/s | 2×1 / 1×2 |")
    print("|---|---:|---:|---:|")
    for w in args.workloads:
        a = statistics.median(results[w]["1x2"])
        b = statistics.median(results[w]["2x1"])
        print(f"| {w} | {a:.0f} | {b:.0f} | {b / a:.2f} |")


if __name__ == "__main__":
    main()
