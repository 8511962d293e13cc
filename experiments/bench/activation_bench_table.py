#!/usr/bin/env python3
"""Turns activation_bench's JSON output into the Markdown table of BENCHMARKS.md.

    build/release/bin/activation_bench --benchmark_repetitions=5 \
        --benchmark_display_aggregates_only=true \
        --benchmark_out=activation_bench.json --benchmark_out_format=json
    python3 experiments/bench/activation_bench_table.py activation_bench.json

Times are ns per input element, the best (minimum) of the repetitions: on a shared machine other
tenants only ever add time, so the minimum is the steadiest estimate of the code's own cost. The
last column gives the spread (median / minimum - 1) of forward + backward as a check.

The speed-up over the scalar loop is given for forward + backward together: in training the layer
computes f'(x) alongside f(x) in its forward pass (its backward is then a product with the saved
slope), while the scalar loops compute f' in their backward pass, so neither half alone compares
like with like.
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    with open(path) as f:
        report = json.load(f)
    runs = defaultdict(list)  # (kind, activation) -> ns per element of each repetition
    for b in report["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        kind, name = b["run_name"].split("/", 1)
        runs[(kind, name)].append(b["per_element"] * 1e9)
    best = {key: min(values) for key, values in runs.items()}
    median = {key: statistics.median(values) for key, values in runs.items()}
    names = [n for (k, n) in runs if k == "forward"]
    print("| activation | forward | backward | forward + backward | scalar forward "
          "| scalar backward | speed-up forward + backward | spread |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        fwd, bwd = best[("forward", name)], best[("backward", name)]
        spread = (median[("forward", name)] + median[("backward", name)]) / (fwd + bwd) - 1
        row = [f"`{name}`", f"{fwd:.2f}", f"{bwd:.2f}", f"{fwd + bwd:.2f}"]
        sf, sb = best.get(("scalar_forward", name)), best.get(("scalar_backward", name))
        row += [f"{sf:.2f}" if sf else "", f"{sb:.2f}" if sb else ""]
        row += [f"{(sf + sb) / (fwd + bwd):.1f}×" if sf and sb else ""]
        row += [f"{100 * spread:.0f}%"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
