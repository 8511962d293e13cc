#!/usr/bin/env python3
"""actlab against PyTorch on the reference workloads W1-W3, measured side by side.

    /usr/bin/python3 experiments/bench/compare_pytorch.py [--rounds 5] [--threads 2]

Needs PyTorch for the system Python: Debian's package `python3-torch` (1.13; `apt install
python3-torch`). This script installs nothing. It runs with whichever `python3` comes first on
PATH; call /usr/bin/python3 explicitly where another Python (pyenv, a venv) shadows Debian's.

Each round runs, for every workload in turn, `actlab bench --workloads W --repeats 1 --json` (which
makes a warm-up round, then trains two epochs of the given steps and times the second, as PyTorch's
side below is timed after untimed warm-up steps, then times the GEMM-only limit) and then the same
training in PyTorch in this process, so that load from other programs hits both alike. Both sides
train on the same Fashion-MNIST images (stored as bytes, converted to float per batch), with batch
128, SGD (lr 0.05, momentum 0.9), He-normal weights, zero biases, the same number of steps and the
same number of threads. PyTorch computes the loss value each step (`loss.item()`), as a training
loop that logs it does; actlab additionally computes accuracy, gradient norms and, at their default
frequency (every 200 steps), its probes. Reported per round: both throughputs, their ratio and
whether actlab's round was steady (its GEMM-only limit, measured before and after its training, did
not move by more than 15 %: the machine kept one speed). Then per workload: the median of each
side, and the median and the lowest of the rounds' own ratios (a ratio of two medians could pair a
fast round of one side with a slow round of the other).

Both sides run the same OpenBLAS kernels: PyTorch's matrix products go to Debian's OpenBLAS too,
and where that library does not know the CPU it falls back to its slowest kernels ("Prescott"),
which actlab replaces (it starts again with OPENBLAS_CORETYPE set). Unless OPENBLAS_CORETYPE is
set already, this script asks `actlab --version` which kernels actlab runs and starts itself again
with them.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

WORKLOADS = {
    "W1": ([256, 256], "relu"),
    "W2": ([512, 512, 512], "gelu"),
    "W3": ([128] * 10, "tanh"),
}
BATCH = 128
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load_fashion_mnist(folder):
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 784)
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"), 8)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def make_model(hidden, activation):
    layers, width = [], 784
    act = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU, "tanh": torch.nn.Tanh}[activation]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), act()]
        width = h
    layers.append(torch.nn.Linear(width, 10))
    model = torch.nn.Sequential(*layers)
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    return model


def pytorch_throughput(images, labels, hidden, activation, steps, seed):
    """Samples/s of `steps` training steps (after 20 untimed warm-up steps)."""
    torch.manual_seed(seed)
    model = make_model(hidden, activation)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    order = torch.randperm(images.shape[0])

    def step(b):
        index = order[(b * BATCH) % (images.shape[0] - BATCH + 1):][:BATCH]
        x = images[index].float().div_(255.0)
        y = labels[index]
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    for b in range(20):
        step(b)
    start = time.perf_counter()
    total = 0.0
    for b in range(steps):
        total += step(b)
    seconds = time.perf_counter() - start
    if not np.isfinite(total):
        sys.exit("PyTorch run diverged")
    return steps * BATCH / seconds


def actlab_measurement(binary, workload, steps, threads, data):
    command = [binary, "bench", "--workloads", workload, "--repeats", "1", "--json",
               "--steps", str(steps), "--threads", str(threads), "--data", data]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def actlab_openblas_kernels(binary):
    """The OpenBLAS kernel set actlab runs on this machine ("SkylakeX", ...)."""
    out = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("OpenBLAS kernels: "):
            return line.split(": ", 1)[1].strip()
    sys.exit(f"{binary} --version does not name its OpenBLAS kernels")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=430, help="training steps per run")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS))
    parser.add_argument("--actlab", default=os.path.join(REPO, "build/release/bin/actlab"))
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()

    if "OPENBLAS_CORETYPE" not in os.environ:
        # OpenBLAS chose its kernels when torch was imported; only a new start changes them.
        os.environ["OPENBLAS_CORETYPE"] = actlab_openblas_kernels(args.actlab)
        os.execv(sys.executable, [sys.executable] + sys.argv)

    torch.set_num_threads(args.threads)
    images, labels = load_fashion_mnist(args.data)
    images, labels = images[: args.steps * BATCH], labels[: args.steps * BATCH]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, OpenBLAS kernels "
          f"{os.environ['OPENBLAS_CORETYPE']}; actlab {args.actlab}; "
          f"{args.steps} steps of batch {BATCH}; {args.rounds} rounds", flush=True)

    results = {w: {"actlab": [], "gemm_only": [], "pytorch": [], "ratio": []}
               for w in args.workloads}
    for round_ in range(1, args.rounds + 1):
        for w in args.workloads:
            hidden, activation = WORKLOADS[w]
            a = actlab_measurement(args.actlab, w, args.steps, args.threads, args.data)
            p = pytorch_throughput(images, labels, hidden, activation, args.steps, round_)
            results[w]["actlab"].append(a["samples_per_second"])
            results[w]["gemm_only"].append(a["gemm_only_samples_per_second"])
            results[w]["pytorch"].append(p)
            results[w]["ratio"].append(a["samples_per_second"] / p)
            print(f"round {round_} {w}: actlab {a['samples_per_second']:.0f}, GEMM-only "
                  f"{a['gemm_only_samples_per_second']:.0f}"
                  f"{'' if a.get('steady', True) else ' (unsteady)'}, PyTorch {p:.0f} samples/s, "
                  f"{a['samples_per_second'] / p:.2f}× (load average {os.getloadavg()[0]:.2f})",
                  flush=True)

    print()
    print("| workload | actlab samples/s | GEMM-only limit | PyTorch samples/s "
          "| actlab / PyTorch: median of the rounds | lowest round | best / best |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for w in args.workloads:
        a = statistics.median(results[w]["actlab"])
        g = statistics.median(results[w]["gemm_only"])
        p = statistics.median(results[w]["pytorch"])
        ratios = results[w]["ratio"]
        # Each side's fastest round: interference on a shared machine only slows a run down.
        best = max(results[w]["actlab"]) / max(results[w]["pytorch"])
        print(f"| {w} | {a:.0f} | {g:.0f} | {p:.0f} | {statistics.median(ratios):.2f}× "
              f"| {min(ratios):.2f}× | {best:.2f}× |")


if __name__ == "__main__":
    main()
