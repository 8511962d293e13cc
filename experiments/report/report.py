#!/usr/bin/python3
"""The plotted report of an actlab study folder (or of one run folder).

    actlab report runs/<study>            # runs this script with Debian's /usr/bin/python3
    /usr/bin/python3 experiments/report/report.py runs/<study> [--out DIR]

Writes DIR/report.html (default DIR = <folder>/report) with PNG figures beside it:
  curves.png          training loss and test accuracy against epoch, one colour per group
                      (the cells that differ only in the seed): mean line, min–max band over seeds
  grad_norm_depth.png ‖∂L/∂W_l‖ against layer l, log scale: at step 0 (grad_norm_weight) and
                      averaged over epoch 1 and over the last epoch (grad_norm_weight_epoch_mean),
                      geometric mean over seeds
  dead_saturated.png  dead and saturated fraction of each hidden layer against step, per group
  decision_*.png      for the generated 2-d data sets: each group's p(class 1) over the plane with
                      the test points on top (as the TensorFlow Playground draws it)
and the study's group table (summary_groups.csv) and per-run table (summary.csv).

Only the Python standard library, numpy and matplotlib (Debian: python3-matplotlib). Exit codes:
0 written, 2 not a study or run folder, 3 cannot write the output.
"""
import argparse
import csv
import html
import json
import math
import os
import sys
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

EXIT_BAD_INPUT = 2
EXIT_OUTPUT_ERROR = 3
DPI = 110


class BadInput(Exception):
    pass


class Run:
    """One run folder: its epochs (metrics.jsonl) and, read on demand, its probes and 2-d tables."""

    def __init__(self, run_id, folder):
        self.id = run_id
        self.folder = folder
        self.metrics = []
        path = os.path.join(folder, "metrics.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                self.metrics = [json.loads(line) for line in f if line.strip()]
        self._probes = None

    def series(self, key):
        """(epochs, values) of one metrics.jsonl field; null (NaN) stays NaN."""
        epochs = [m["epoch"] for m in self.metrics]
        values = [math.nan if m.get(key) is None else m[key] for m in self.metrics]
        return np.array(epochs, dtype=float), np.array(values, dtype=float)

    def probes(self):
        """metric -> layer -> {step: value} from probes.csv (run,step,epoch,layer,metric,value)."""
        if self._probes is None:
            self._probes = defaultdict(lambda: defaultdict(dict))
            path = os.path.join(self.folder, "probes.csv")
            if os.path.exists(path):
                with open(path, newline="") as f:
                    for row in csv.DictReader(f):
                        if not row["layer"]:
                            continue
                        value = float(row["value"]) if row["value"] not in ("", "nan") else math.nan
                        self._probes[row["metric"]][int(row["layer"])][int(row["step"])] = value
        return self._probes

    def has(self, name):
        return os.path.exists(os.path.join(self.folder, name))


def load(folder):
    """(title, groups: OrderedDict label -> [Run], tables: [(caption, csv path)])."""
    manifest_path = os.path.join(folder, "study.json")
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        keys = manifest["keys"]
        groups = OrderedDict()
        for cell in manifest["cells"]:
            run_folder = os.path.join(folder, cell["id"])
            if not os.path.exists(os.path.join(run_folder, "metrics.jsonl")):
                continue  # pending
            label = ", ".join(f"{k['column']}={v}" for k, v in zip(keys, cell["values"])
                              if k["path"] != "seed") or manifest["study"]
            groups.setdefault(label, []).append(Run(cell["id"], run_folder))
        tables = [("Groups: mean, sample std and count over the seeds of each group",
                   os.path.join(folder, "summary_groups.csv")),
                  ("Every run", os.path.join(folder, "summary.csv"))]
        return manifest["study"], groups, [t for t in tables if os.path.exists(t[1])]
    if os.path.exists(os.path.join(folder, "metrics.jsonl")):
        name = os.path.basename(os.path.normpath(folder))
        return name, OrderedDict([(name, [Run(name, folder)])]), []
    raise BadInput(f"{folder}: neither a study folder (study.json) nor a run folder (metrics.jsonl)")


def colours(n):
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def band(ax, runs, key, colour, label):
    """Mean over the runs as a line, min–max as a band (runs may have different lengths)."""
    by_epoch = defaultdict(list)
    for run in runs:
        for e, v in zip(*run.series(key)):
            if np.isfinite(v):
                by_epoch[e].append(v)
    if not by_epoch:
        return
    epochs = np.array(sorted(by_epoch))
    values = [np.array(by_epoch[e]) for e in epochs]
    ax.plot(epochs, [v.mean() for v in values], color=colour, label=label, lw=1.8)
    if len(runs) > 1:
        ax.fill_between(epochs, [v.min() for v in values], [v.max() for v in values],
                        color=colour, alpha=0.2, lw=0)


def legend_outside(fig, ax):
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9,
                   frameon=False)


def plot_curves(groups, out):
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(12, 4.4))
    for (label, runs), colour in zip(groups.items(), colours(len(groups))):
        band(loss_ax, runs, "train_loss", colour, label)
        band(acc_ax, runs, "test_accuracy", colour, label)
    loss_ax.set(title="Training loss (mean; band: min–max over seeds)", xlabel="epoch",
                ylabel="training loss (mean over the epoch)")
    acc_ax.set(title="Test accuracy (mean; band: min–max over seeds)", xlabel="epoch",
               ylabel="test accuracy")
    acc_ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    legend_outside(fig, acc_ax)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "curves.png"


def probe_steps(run):
    """The moments shown against depth, as (title, step, metric): the step-0 gradient, and the
    mean over the steps of epoch 1 and of the last epoch (probes.csv has the epoch means at each
    epoch end; the single-step norms only every `every_steps` steps)."""
    moments = [("step 0 (before any update)", 0, "grad_norm_weight")]
    if run.metrics:
        moments.append(("epoch 1 (mean over its steps)", run.metrics[0]["step"],
                        "grad_norm_weight_epoch_mean"))
    if len(run.metrics) > 1:
        last = run.metrics[-1]
        moments.append((f"epoch {last['epoch']}, the last (mean over its steps)", last["step"],
                        "grad_norm_weight_epoch_mean"))
    return moments


def plot_grad_depth(groups, out):
    first = next(iter(groups.values()))[0]
    moments = probe_steps(first)
    if "grad_norm_weight" not in first.probes():
        return None
    fig, axes = plt.subplots(1, len(moments), figsize=(4.6 * len(moments), 4.2), sharey=True,
                             squeeze=False)
    for (label, runs), colour in zip(groups.items(), colours(len(groups))):
        for ax, (_, step, metric) in zip(axes[0], moments):
            layers = sorted(runs[0].probes()[metric])
            values = []
            for layer in layers:
                per_seed = [r.probes()[metric].get(layer, {}).get(step, math.nan) for r in runs]
                per_seed = [v for v in per_seed if np.isfinite(v) and v > 0]
                values.append(np.exp(np.mean(np.log(per_seed))) if per_seed else math.nan)
            ax.plot(layers, values, "o-", color=colour, label=label, ms=4)
    for ax, (name, step, _) in zip(axes[0], moments):
        ax.set_yscale("log")
        ax.set(title=f"{name}\nstep {step}", xlabel="layer (1 = first hidden, last = output)")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("‖∂L/∂W_l‖ (geometric mean over seeds)")
    fig.suptitle("Weight-gradient norm of each layer against depth (log scale)", y=1.01)
    legend_outside(fig, axes[0][-1])
    fig.tight_layout()
    fig.savefig(os.path.join(out, "grad_norm_depth.png"), dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "grad_norm_depth.png"


def plot_dead_saturated(groups, out):
    metrics = [("dead_fraction", "dead fraction (units)"),
               ("saturated_fraction", "saturated fraction (unit, sample)")]
    if not any(m in next(iter(groups.values()))[0].probes() for m, _ in metrics):
        return None
    n = len(groups)
    fig, axes = plt.subplots(n, 2, figsize=(11, 2.3 * n + 0.8), squeeze=False, sharex=True)
    for row, (label, runs) in enumerate(groups.items()):
        run = runs[0]  # the first seed: layers are easier to read without a band each
        for col, (metric, name) in enumerate(metrics):
            ax = axes[row][col]
            by_layer = run.probes().get(metric, {})
            for layer, colour in zip(sorted(by_layer), colours(len(by_layer))):
                steps = sorted(by_layer[layer])
                ax.plot(steps, [by_layer[layer][s] for s in steps], color=colour,
                        label=f"layer {layer}", lw=1.4)
            ax.set_ylim(-0.03, 1.03)
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            ax.grid(alpha=0.3)
            ax.set_title(f"{label} ({run.id.split(',')[-1] if ',' in run.id else run.id}): {name}",
                         fontsize=9)
            if row == n - 1:
                ax.set_xlabel("step")
            if by_layer and row == 0 and col == 1:
                ax.legend(fontsize=8, loc="upper right")
    fig.suptitle("Dead and saturated fraction of each hidden layer over training (first seed)",
                 y=1.01)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "dead_saturated.png"), dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "dead_saturated.png"


def read_table(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def plot_decisions(groups, out):
    """One panel per group (first seed): p(class 1) on the grid, test points on top."""
    cells = [(label, runs[0]) for label, runs in groups.items()
             if runs[0].has("decision_grid.csv") and runs[0].has("points.csv")]
    if not cells:
        return None
    cols = min(5, len(cells))
    rows = math.ceil(len(cells) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 3.3 * rows), squeeze=False)
    image = None
    for ax, (label, run) in zip(axes.flat, cells):
        grid = np.array([[float(v) for v in row] for row in read_table(
            os.path.join(run.folder, "decision_grid.csv"))[1:]])
        n = int(round(math.sqrt(len(grid))))
        xs, ys, p = grid[:n, 0], grid[::n, 1], grid[:, 2].reshape(n, n)
        image = ax.imshow(p, origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]), cmap="RdBu_r",
                          vmin=0, vmax=1, alpha=0.75, interpolation="bilinear")
        ax.contour(xs, ys, p, levels=[0.5], colors="k", linewidths=0.8)
        points = read_table(os.path.join(run.folder, "points.csv"))[1:]
        test = np.array([[float(r[1]), float(r[2]), float(r[3])] for r in points if r[0] == "test"])
        if len(test):
            ax.scatter(test[:, 0], test[:, 1], c=test[:, 2], cmap="RdBu_r", vmin=0, vmax=1, s=5,
                       edgecolors="k", linewidths=0.2)
        acc = run.metrics[-1].get("test_accuracy") if run.metrics else None
        ax.set_title(f"{label}\ntest acc {acc:.1%}" if acc is not None else label, fontsize=9)
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.5, 1.5)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(cells):]:
        ax.axis("off")
    fig.suptitle("Decision regions: p(class 1) (red = 1, blue = 0; black line: 0.5) "
                 "and the test points (first seed)", y=1.01)
    fig.tight_layout()
    if image is not None:
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="p(class 1)")
    fig.savefig(os.path.join(out, "decision_regions.png"), dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "decision_regions.png"


def html_table(rows):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(format_cell(c))}</td>" for c in row) +
                   "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def format_cell(text):
    try:
        value = float(text)
    except ValueError:
        return text
    if text.isdigit() or not math.isfinite(value):
        return text
    return f"{value:.4g}"


def write_report(folder, out):
    title, groups, tables = load(folder)
    if not groups:
        raise BadInput(f"{folder}: no run has metrics yet")
    os.makedirs(out, exist_ok=True)
    figures = [
        (plot_curves(groups, out), "Training loss and test accuracy"),
        (plot_grad_depth(groups, out), "Gradient norm against depth"),
        (plot_dead_saturated(groups, out), "Dead and saturated units"),
        (plot_decisions(groups, out), "Decision regions"),
    ]
    parts = [f"<h1>actlab report: {html.escape(title)}</h1>",
             f"<p>{sum(len(r) for r in groups.values())} runs in {len(groups)} groups, "
             f"from <code>{html.escape(os.path.abspath(folder))}</code>.</p>"]
    for file, heading in figures:
        if file:
            parts.append(f"<h2>{heading}</h2><img src=\"{file}\" alt=\"{heading}\">")
    for caption, path in tables:
        parts.append(f"<h2>{html.escape(caption)}</h2>{html_table(read_table(path))}")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1500px}img{max-width:100%}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}th{background:#eee}")
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    # Atomic like every actlab output: a temporary file, then rename.
    target = os.path.join(out, "report.html")
    with open(target + ".tmp", "w") as f:
        f.write(page)
    os.replace(target + ".tmp", target)
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="a study folder (runs/NAME) or one run folder")
    parser.add_argument("--out", help="output folder (default: FOLDER/report)")
    args = parser.parse_args()
    try:
        target = write_report(args.folder, args.out or os.path.join(args.folder, "report"))
    except BadInput as e:
        print(f"report: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        print(f"report: cannot write: {e}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
