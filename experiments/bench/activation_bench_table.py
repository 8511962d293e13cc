#!/usr/bin/env python3
"""Turns activation_bench's JSON output into the Markdown table of BENCHMARKS.md.

    build/release/bin/activation_bench --benchmark_repetitions=5 \
        --benchmark_report_aggregates_only=true \
        --benchmark_out=activation_bench.json --benchmark_out_format=json
    python3 experiments/bench/activation_bench_table.py activation_bench.json

Uses the median of the repetitions; times are ns per input element.
"""
import json
import sys


def main(path):
    with open(path) as f:
        report = json.load(f)
    ns = {}  # (kind, activation) -> ns per element
    for b in report["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        kind, name = b["run_name"].split("/", 1)
        ns[(kind, name)] = b["per_element"] * 1e9
    names = [n for (k, n) in ns if k == "forward"]
    print("| activation | forward | backward | forward + backward | scalar forward | scalar backward "
          "| speed-up forward | speed-up backward |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        fwd, bwd = ns[("forward", name)], ns[("backward", name)]
        row = [name, f"{fwd:.2f}", f"{bwd:.2f}", f"{fwd + bwd:.2f}"]
        sf, sb = ns.get(("scalar_forward", name)), ns.get(("scalar_backward", name))
        row += [f"{sf:.2f}" if sf else "", f"{sb:.2f}" if sb else ""]
        row += [f"{sf / fwd:.1f}×" if sf else "", f"{sb / bwd:.1f}×" if sb else ""]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
