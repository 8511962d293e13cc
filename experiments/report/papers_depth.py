#!/usr/bin/python3
"""The tables and the figure of README "Findings: 6. Depth, normalisation and residual blocks",
from a finished run of configs/papers/depth.yaml:

    /usr/bin/python3 experiments/report/papers_depth.py runs/depth [--figure FILE.png]
        [--initial DIR]

Prints (markdown) the final test accuracy against depth per activation and variant (mean over the
seeds, and each seed), and the weight-gradient norm of every fifth Linear at the deepest depth, at
step 0 and after the last step. Layers are counted by their Linear (the k-th Linear of the
network, the output one last), since the probes' `layer` is the position in the layer list, which
differs between the variants. A run that diverged before its first epoch end left no probes;
--initial names a folder of the same cells run with `--set train.epochs=0` (README "Findings", 6.)
whose step-0 norms then stand in for them.
"""
import argparse
import csv
import os
import statistics
import sys

VARIANTS = {  # the swept model.layers value as it appears in the run id -> a short name
    "repeatlayerslinear128-activation": "plain",
    "repeatlayerslinear128-batchnorm-activation": "batchnorm",
    "linear128-repeatlayersresidualwidth128_normnone": "residual",
    "linear128-repeatlayersresidualwidth128_normbatchnorm": "residual + batchnorm",
}


def read_summary(study):
    with open(os.path.join(study, "summary.csv"), newline="") as f:
        return list(csv.DictReader(f))


def linear_norms(run, step):
    """{k: ‖∂L/∂W‖ of the k-th Linear}: at step 0 ('first'), or averaged over the steps of the
    last epoch ('last'; the epoch-end probes have no training step of their own)."""
    metric = "grad_norm_weight" if step == "first" else "grad_norm_weight_epoch_mean"
    by_step = {}
    with open(os.path.join(run, "probes.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["metric"] == metric:
                by_step.setdefault(int(r["step"]), {})[int(r["layer"])] = float(r["value"])
    if not by_step:
        return {}
    layers = by_step[max(by_step)]
    return {k + 1: layers[l] for k, l in enumerate(sorted(layers))}


def fmt_acc(values):
    if not values:
        return "—"
    mean = statistics.mean(values)
    return f"{mean:.3f}" if len(values) < 2 else f"{mean:.3f} ({min(values):.2f}–{max(values):.2f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("study")
    parser.add_argument("--figure")
    parser.add_argument("--initial", help="folder of epochs-0 runs for cells that left no probes")
    args = parser.parse_args()
    rows = read_summary(args.study)
    depths = sorted({int(r["depth"]) for r in rows})
    activations = list(dict.fromkeys(r["activation"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})

    for column, title in (("final_test_accuracy", "Final test accuracy"),
                          ("best_test_accuracy", "Best test accuracy (any epoch)"),
                          ("final_train_loss", "Final training loss")):
        print(f"{title} after 3 epochs: mean over seeds (range); div = diverged in k of n seeds\n")
        print("| activation | variant | " + " | ".join(f"depth {d}" for d in depths) + " |")
        print("|---|---|" + "---|" * len(depths))
        for act in activations:
            for key, name in VARIANTS.items():
                cells = []
                for d in depths:
                    group = [r for r in rows if r["activation"] == act and r["layers"] == key
                             and int(r["depth"]) == d]
                    values = [float(r[column]) for r in group if r["status"] == "completed"]
                    diverged = sum(r["status"] == "diverged" for r in group)
                    text = fmt_acc(values)
                    if diverged:
                        text = (f"div {diverged}/{len(group)}" if not values
                                else f"{text}, div {diverged}/{len(group)}")
                    cells.append(text)
                print(f"| {act} | {name} | " + " | ".join(cells) + " |")
        print()

    deepest = depths[-1]
    norms = {}
    for act in activations:
        for key in VARIANTS:
            cell = f"layers={key},activation={act},depth={deepest},seed={seeds[0]}"
            run = os.path.join(args.study, cell)
            if os.path.exists(os.path.join(run, "probes.csv")):
                for step in ("first", "last"):
                    norms[act, key, step] = linear_norms(run, step)
            else:
                initial = os.path.join(args.initial or "", cell)
                has = args.initial and os.path.exists(os.path.join(initial, "probes.csv"))
                norms[act, key, "first"] = linear_norms(initial, "first") if has else {}
                norms[act, key, "last"] = {}
    print(f"\n‖∂L/∂W‖ of the k-th Linear at depth {deepest}, seed {seeds[0]}, at step 0 and "
          "averaged over the last epoch; k = 1 is the first layer, 'out' the output Linear\n")
    for act in activations:
        count = max(len(n) for (a, _, _), n in norms.items() if a == act)
        picks = [1] + list(range(5, count, 5))
        print(f"| {act} | step | " + " | ".join(f"k={k}" for k in picks) + " | out | first/last |")
        print("|---|---|" + "---|" * (len(picks) + 2))
        for key, name in VARIANTS.items():
            for step, label in (("first", "0"), ("last", "epoch 3")):
                n = norms[act, key, step]
                if not n:
                    print(f"| {name} | {label} | " + " | ".join("—" for _ in picks) + " | — | — |")
                    continue
                last = n[max(n)]
                print(f"| {name} | {label} | " + " | ".join(f"{n[k]:.2g}" for k in picks if k in n)
                      + f" | {last:.2g} | {n[1] / last:.2g} |")
        print()

    if args.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(2, len(activations), figsize=(4.2 * len(activations), 6.4),
                                 sharex=True, sharey="row", squeeze=False)
        for j, act in enumerate(activations):
            for i, (step, title) in enumerate((("first", "step 0"), ("last", "mean over epoch 3"))):
                ax = axes[i][j]
                for colour, (key, name) in enumerate(VARIANTS.items()):
                    n = norms[act, key, step]
                    if n:  # a diverged run has no last epoch: its colour stays its own
                        ks = sorted(n)
                        ax.plot(ks, [n[k] for k in ks], marker=".", label=name, color=f"C{colour}")
                ax.set_yscale("log")
                ax.set_title(f"{act}, depth {deepest}, {title}", fontsize=10)
                ax.grid(True, which="major", alpha=0.3)
                if i == 1:
                    ax.set_xlabel("k-th Linear (first → output)")
                if j == 0:
                    ax.set_ylabel("‖∂L/∂W_k‖")
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.figure, dpi=90)
        print(f"wrote {args.figure}", file=sys.stderr)


if __name__ == "__main__":
    main()
