#!/usr/bin/env python3
"""Summarises ab_bench.sh output: per build and workload, the ratio to the GEMM-only limit of every
steady round at full speed (its limit within 15 % of the best measured), their median, and the
best-of ratio (fastest training run / fastest GEMM-only measurement, over all rounds)."""
import collections
import json
import statistics
import sys


def main(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    best_limit = collections.defaultdict(float)
    for r in rows:
        best_limit[r["workload"]] = max(best_limit[r["workload"]], r["gemm_only_before"],
                                        r["gemm_only_after"])
    ratios = collections.defaultdict(list)
    best_on = collections.defaultdict(float)
    best_lim = collections.defaultdict(float)
    for r in rows:
        key = (r.get("binary", "-"), r["workload"])
        best_on[key] = max(best_on[key], r["samples_per_second"])
        best_lim[key] = max(best_lim[key], r["gemm_only_before"], r["gemm_only_after"])
        full = r["steady"] and 1.15 * r["gemm_only_samples_per_second"] >= best_limit[r["workload"]]
        if full:
            ratios[key].append(r["samples_per_second"] / r["gemm_only_samples_per_second"])
    print("| build | workload | full-speed rounds | median ratio | ratios | best / best |")
    print("|---|---|---:|---:|---|---:|")
    for key in sorted(best_on):
        v = ratios[key]
        median = f"{100 * statistics.median(v):.1f} %" if v else "-"
        listed = ", ".join(f"{100 * x:.1f}" for x in v)
        print(f"| {key[0]} | {key[1]} | {len(v)} | {median} | {listed} "
              f"| {100 * best_on[key] / best_lim[key]:.1f} % |")


if __name__ == "__main__":
    main(sys.argv[1])
