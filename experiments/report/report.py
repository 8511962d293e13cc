#!/usr/bin/python3
"""The plotted report of an actlab study folder (or of one run folder).

    actlab report runs/<study>            # runs this script with Debian's /usr/bin/python3
    /usr/bin/python3 experiments/report/report.py runs/<study> [--out DIR] [--self-contained]

Writes DIR/report.html (default DIR = <folder>/report) with PNG figures beside it (and, with
--self-contained, inside it as data: URIs, the CSV files too). First what happened to the cells
that did not complete (a diverged one's step and layer, the running and pending ones), then:
  curves.png          training loss and test accuracy against epoch, one colour per group
                      (the cells that differ only in the seed): mean line, min–max band over seeds
  grad_norm_depth.png ‖∂L/∂W_l‖ against layer l, log scale: at step 0 (grad_norm_weight) and
                      averaged over epoch 1 and over the last epoch (grad_norm_weight_epoch_mean),
                      geometric mean over seeds
  dead_saturated.png  dead and saturated fraction of each hidden layer against step, per group
  decision_*.png      for the generated 2-d data sets: each group's p(class 1) over the plane with
                      the test points on top (as the TensorFlow Playground draws it)
and the study's group table (summary_groups.csv) and per-run table (summary.csv) as `actlab
summary` prints them (mean ± std, sortable), each with its CSV linked.

Only the Python standard library, numpy and matplotlib (Debian: python3-matplotlib). Exit codes:
0 written, 2 not a study or run folder, 3 cannot write the output.
"""
import argparse
import base64
import csv
import html
import json
import math
import os
import re
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


# The trainer's divergence message (summary.json): "diverged at step N (epoch E): [loss is X; ]
# non-finite gradient in 0.linear.weight (layer 0 of the network)", or "... gradient norm is not
# finite" when no parameter's gradient holds the non-finite value.
DIVERGED_AT = re.compile(r"diverged at step (\d+) \(epoch (\d+)\)")
DIVERGED_IN = re.compile(r"non-finite gradient in (\S+) \(layer (\d+) of the network\)")


class Cell:
    """One cell of a study (or the one run): where it stands, read from its run folder the way
    `actlab summary` reads it (summary.json's status; results without one: running or stopped)."""

    def __init__(self, cell_id, label, folder):
        self.id = cell_id
        self.label = label
        self.folder = folder
        self.message = ""
        self.epochs = 0
        path = os.path.join(folder, "metrics.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                self.epochs = sum(1 for line in f if line.strip())
        summary = read_json(os.path.join(folder, "summary.json"))
        if summary is not None and "status" in summary:
            self.status = summary["status"]
            self.message = summary.get("message", "")
        elif self.epochs or any(os.path.exists(os.path.join(folder, name))
                                for name in ("checkpoint.bin", "config.yaml", "run.json")):
            self.status = "incomplete"
        else:
            self.status = "pending"

    def what_happened(self):
        """The cell's fate in words, for any cell that did not simply complete."""
        if self.status == "diverged":
            at, where = DIVERGED_AT.search(self.message), DIVERGED_IN.search(self.message)
            text = (f"diverged at step {at.group(1)} (epoch {at.group(2)})" if at else "diverged")
            text += (f", in layer {where.group(2)} of the network (the gradient of "
                     f"{where.group(1)} is not finite)" if where else
                     ", in no layer found (the loss or the gradient norm overflowed)")
            return f"{text}; {plural(self.epochs, 'complete epoch')} before it"
        if self.status == "incomplete":
            return (f"running, or stopped before it finished: {plural(self.epochs, 'epoch')} so "
                    "far (--resume continues it)")
        if self.status == "pending":
            return "not started yet"
        return self.message or self.status


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError:
            return None  # half a run: treated as one without that file


def is_run_folder(folder):
    return any(os.path.exists(os.path.join(folder, name))
               for name in ("metrics.jsonl", "summary.json", "run.json"))


class Study:
    """A study folder (study.json) or one run folder, as the report sees it."""

    def __init__(self, folder):
        self.folder = folder
        manifest = read_json(os.path.join(folder, "study.json"))
        self.target_accuracy = None
        self.tables = []  # (heading, csv path, readable-table builder)
        if manifest is not None:
            self.title = manifest["study"]
            self.target_accuracy = manifest.get("target_accuracy")
            keys = manifest["keys"]
            self.cells = []
            for cell in manifest["cells"]:
                label = ", ".join(f"{k['column']}={v}" for k, v in zip(keys, cell["values"])
                                  if k["path"] != "seed") or manifest["study"]
                self.cells.append(Cell(cell["id"], label, os.path.join(folder, cell["id"])))
            self.mark_failed(os.path.join(folder, "summary.csv"))
            for heading, name, builder in (
                    ("Groups: mean ± sample std over the seeds of each group",
                     "summary_groups.csv", self.groups_table),
                    ("Every run", "summary.csv", self.runs_table)):
                if os.path.exists(os.path.join(folder, name)):
                    self.tables.append((heading, os.path.join(folder, name), builder))
        elif is_run_folder(folder):
            self.title = os.path.basename(os.path.normpath(folder))
            self.cells = [Cell(self.title, self.title, folder)]
        else:
            raise BadInput(f"{folder}: neither a study folder (study.json) nor a run folder "
                           "(metrics.jsonl, summary.json or run.json)")
        # The figures: every cell with at least one complete epoch, grouped over seeds.
        self.groups = OrderedDict()
        for cell in self.cells:
            if cell.epochs:
                self.groups.setdefault(cell.label, []).append(Run(cell.id, cell.folder))

    def mark_failed(self, summary_csv):
        """A cell whose process failed leaves no summary.json; the study's table says so."""
        if not os.path.exists(summary_csv):
            return
        with open(summary_csv, newline="") as f:
            rows = {row["run_id"]: row for row in csv.DictReader(f)}
        for cell in self.cells:
            row = rows.get(cell.id)
            if row and row.get("status") == "failed" and cell.status in ("pending", "incomplete"):
                cell.status, cell.message = "failed", row.get("message", "")

    def count(self, status):
        return sum(c.status == status for c in self.cells)

    def tables_stale(self):
        """The cells whose status the tables do not show: the study writes them when it (or a
        shard) ends, so they lag while it runs."""
        path = os.path.join(self.folder, "summary.csv")
        if not os.path.exists(path):
            return 0
        with open(path, newline="") as f:
            listed = {row["run_id"]: row["status"] for row in csv.DictReader(f)}
        return sum(listed.get(c.id) != c.status for c in self.cells)

    def groups_table(self, rows):
        """summary_groups.csv as `actlab summary` prints it: the group keys, n (completed),
        diverged, not done, then each metric as mean ± std."""
        header, data = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
        keys = header[:header.index("cells")] if "cells" in header else []
        columns = [(k, False) for k in keys] or [("group", False)]
        columns += [("n", True), ("diverged", True)]
        not_done = any(int(r["cells"]) - int(r["completed"]) - int(r["diverged"]) for r in data)
        if not_done:
            columns.append(("not done", True))
        metrics = [m for m in METRICS if m[0] + "_mean" in header and
                   (m[0] != "epoch_reached_target" or self.target_accuracy is not None)]
        for column, label, _ in metrics:
            columns.append((f"epoch to {self.target_accuracy:g}" if column == "epoch_reached_target"
                            else label, True))
        body = []
        for r in data:
            cells = [(r[k], None) for k in keys] or [("all", None)]
            cells += [(r["completed"], r["completed"]), (r["diverged"], r["diverged"])]
            if not_done:
                left = int(r["cells"]) - int(r["completed"]) - int(r["diverged"])
                cells.append((str(left), left))
            for column, _, fmt in metrics:
                mean, std, n = r[column + "_mean"], r[column + "_std"], int(r[column + "_n"] or 0)
                text = "—"
                if n > 0:
                    text = number(fmt, mean) + (f" ± {number(fmt, std)}" if n > 1 and std else "")
                if column == "epoch_reached_target" and n < int(r["completed"]):
                    text += f" ({n}/{r['completed']})"  # the seeds that reached the target
                cells.append((text, mean))
            body.append(cells)
        return columns, body

    def runs_table(self, rows):
        """summary.csv without its raw columns: the swept keys, status and the headline numbers."""
        header, data = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
        keys = header[1:header.index("status")] if "status" in header else []
        picked = [(column, label, fmt) for column, label, fmt in RUN_COLUMNS if column in header and
                  (column != "epoch_reached_target" or self.target_accuracy is not None)]
        columns = [(k, False) for k in keys] + [("status", False)]
        columns += [(f"epoch to {self.target_accuracy:g}" if column == "epoch_reached_target"
                     else label, True) for column, label, _ in picked]
        messages = any(r.get("message") for r in data)  # why a run diverged, stopped or failed
        if messages:
            columns.append(("message", False))
        body = []
        for r in data:
            cells = [(r[k], None) for k in keys] + [(r["status"], None)]
            for column, _, fmt in picked:
                value = r[column]
                cells.append((number(fmt, value) if value else "—", value))
            if messages:
                cells.append((r["message"], None))
            body.append(cells)
        return columns, body


def number(fmt, text):
    """A CSV number as the terminal's table prints it: a blown-up value in %.4g, not 30 digits."""
    value = float(text)
    return ("%.4g" if abs(value) >= 1e6 else fmt) % value


# The metrics of the group table, as the terminal's (framework/actlab/experiment/study_summary.cpp,
# summary_metrics()): column prefix in summary_groups.csv, header, format of mean and std.
METRICS = [
    ("final_test_accuracy", "final test acc", "%.4f"),
    ("best_test_accuracy", "best test acc", "%.4f"),
    ("epoch_reached_target", "epoch to target", "%.1f"),
    ("final_train_loss", "final train loss", "%.4f"),
    ("vanishing_ratio", "vanishing ratio", "%.3g"),
    ("max_dead_fraction", "max dead", "%.3f"),
    ("mean_saturated_fraction", "mean saturation", "%.3f"),
    ("seconds", "seconds", "%.1f"),
    ("samples_per_second", "samples/s", "%.0f"),
]
# The per-run table's numbers (summary.csv columns), the same way.
RUN_COLUMNS = [
    ("epochs_completed", "epochs", "%.0f"),
    ("final_test_accuracy", "final test acc", "%.4f"),
    ("best_test_accuracy", "best test acc", "%.4f"),
    ("best_epoch", "best epoch", "%.0f"),
    ("epoch_reached_target", "epoch to target", "%.0f"),
    ("final_train_loss", "final train loss", "%.4f"),
    ("vanishing_ratio", "vanishing ratio", "%.3g"),
    ("max_dead_fraction", "max dead", "%.3f"),
    ("mean_saturated_fraction", "mean saturation", "%.3f"),
    ("seconds", "seconds", "%.1f"),
]


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
        # The epoch means are recorded at the epoch's last step: say which, once.
        title = name if step == 0 else f"{name}\nup to step {step}"
        ax.set(title=title, xlabel="layer (1 = first hidden, last = output)")
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


def html_table(columns, body):
    """A sortable table: clicking a header sorts by it (numbers by value, `data-v`)."""
    head = "".join(f"<th class=\"{'num' if numeric else 'text'}\" title=\"click to sort\">"
                   f"{html.escape(name)}</th>" for name, numeric in columns)
    rows = []
    for cells in body:
        tds = []
        for (text, value), (_, numeric) in zip(cells, columns):
            attributes = f" data-v=\"{html.escape(str(value))}\"" if numeric else ""
            tds.append(f"<td{attributes}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return (f"<div class=\"scroll\"><table class=\"sortable\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


# Sorting by a click on a header: numbers by their data-v value (missing ones last), text as text.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach((th, column) => th.addEventListener("click",
  () => {
    const body = th.closest("table").tBodies[0];
    const sign = th.dataset.sorted === "up" ? -1 : 1;
    th.closest("tr").querySelectorAll("th").forEach(h => delete h.dataset.sorted);
    th.dataset.sorted = sign === 1 ? "up" : "down";
    const key = row => {
      const cell = row.cells[column];
      return "v" in cell.dataset ? parseFloat(cell.dataset.v) : cell.textContent;
    };
    const order = (a, b) => {
      const x = key(a), y = key(b);
      if (typeof x === "number") {
        if (isNaN(x) || isNaN(y)) return isNaN(x) - isNaN(y);
        return sign * (x - y);
      }
      return sign * x.localeCompare(y, undefined, {numeric: true});
    };
    [...body.rows].sort(order).forEach(row => body.appendChild(row));
  }));
"""

STYLE = """
body{font-family:sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
img{max-width:100%;display:block;margin:0.5em 0 1.5em}
.scroll{overflow-x:auto;margin-bottom:1em}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eee;cursor:pointer;user-select:none;vertical-align:bottom}
th.num,td[data-v]{text-align:right}
td[data-v]{white-space:nowrap}
th[data-sorted=up]::after{content:" ▲"}th[data-sorted=down]::after{content:" ▼"}
td:last-child{max-width:40em}
.notice{border-left:4px solid #c80;background:#fff6e5;padding:0.6em 1em;margin:1em 0}
.csv{font-size:13px;font-weight:normal;margin-left:1em}
"""


def image_source(out, file, self_contained):
    if not self_contained:
        return file
    with open(os.path.join(out, file), "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def csv_link(path, out, self_contained):
    """The CSV beside its table: a relative link, or the file itself inside the page."""
    name = os.path.basename(path)
    if self_contained:
        with open(path, "rb") as f:
            href = "data:text/csv;base64," + base64.b64encode(f.read()).decode("ascii")
    else:
        href = os.path.relpath(path, out)
    return (f"<a class=\"csv\" href=\"{html.escape(href)}\" download=\"{html.escape(name)}\">"
            f"{html.escape(name)} (every column)</a>")


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def state_section(study):
    """What happened to the cells that did not simply complete: a notice while any is still to
    run, and one line per such cell (a diverged cell's step and layer)."""
    parts = []
    pending, running = study.count("pending"), study.count("incomplete")
    if pending or running:
        left = []
        if pending:
            left.append(f"{pending} pending (not started)")
        if running:
            left.append(f"{running} running or stopped before finishing")
        parts.append(f"<p class=\"notice\"><b>Not finished:</b> of {len(study.cells)} cells, "
                     f"{' and '.join(left)}. The figures show the cells with at least one complete "
                     "epoch; write the report again when the study ends (a stopped study "
                     "continues with <code>actlab run … --resume</code>).</p>")
    others = [c for c in study.cells if c.status != "completed"]
    if others:
        body = [[(c.id, None), (c.status, None), (c.what_happened(), None)] for c in others]
        parts.append("<h2>Cells not completed</h2>" +
                     html_table([("cell", False), ("status", False), ("what happened", False)],
                                body))
    return "".join(parts)


def write_report(folder, out, self_contained=False):
    study = Study(folder)
    os.makedirs(out, exist_ok=True)
    groups = study.groups
    figures = []
    if groups:
        figures = [
            (plot_curves(groups, out), "Training loss and test accuracy"),
            (plot_grad_depth(groups, out), "Gradient norm against depth"),
            (plot_dead_saturated(groups, out), "Dead and saturated units"),
            (plot_decisions(groups, out), "Decision regions"),
        ]
    counts = [f"{study.count(s)} {s}" for s in
              ("completed", "diverged", "interrupted", "failed", "incomplete", "pending")
              if study.count(s)]
    parts = [f"<h1>actlab report: {html.escape(study.title)}</h1>",
             f"<p>{plural(len(study.cells), 'cell')}: {html.escape(', '.join(counts))}. From "
             f"<code>{html.escape(os.path.abspath(folder))}</code>.</p>",
             state_section(study)]
    if not groups:
        parts.append("<p>No cell has a complete epoch, so there is nothing to plot.</p>")
    for file, heading in figures:
        if file:
            parts.append(f"<h2>{heading}</h2><img src=\"{image_source(out, file, self_contained)}\""
                         f" alt=\"{heading}\">")
    stale = study.tables_stale()
    if study.tables and stale:
        parts.append(f"<p class=\"notice\">The tables below were written when the study (or a "
                     f"shard) last ended; {plural(stale, 'cell')} changed since. "
                     "<code>actlab summary</code> prints the current table.</p>")
    elif len(study.cells) > 1 and not study.tables:
        parts.append("<p>The study writes its tables (summary.csv, summary_groups.csv) when it "
                     "ends; <code>actlab summary</code> prints the current table.</p>")
    for heading, path, builder in study.tables:
        parts.append(f"<h2>{html.escape(heading)}{csv_link(path, out, self_contained)}</h2>"
                     f"{html_table(*builder(read_table(path)))}")
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(study.title)}"
            f"</title><style>{STYLE}</style></head><body>{''.join(parts)}"
            f"<script>{SORT_SCRIPT}</script></body></html>\n")
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
    parser.add_argument("--self-contained", action="store_true",
                        help="put the figures and CSV files inside report.html (data: URIs)")
    args = parser.parse_args()
    try:
        target = write_report(args.folder, args.out or os.path.join(args.folder, "report"),
                              args.self_contained)
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
