#!/usr/bin/python3
"""Writes tests/golden/probe_network.csv (the inputs) and tests/golden/probe_reference.csv (what
the probes must report): a small fixed network trained by plain SGD for two steps, computed by
PyTorch (1.13, Debian's python3-torch) in float64 with autograd.

Run with Debian's python (/usr/bin/python3, where torch is installed):
    /usr/bin/python3 tests/golden/make_probe_golden.py
The tests read the CSVs and never need torch.

The network is Linear(4, 6) -> relu -> Linear(6, 5) -> relu -> Linear(5, 3), the loss the mean
softmax cross-entropy, the batch all 12 examples of the data set (one step per epoch). Its inputs
are bytes, x = byte * scale + shift, exactly as actlab's Normalizer computes them, and the weights
are float32 values, so that actlab starts from exactly the same network. Two hidden units are dead
on the whole batch (a bias of -20), so the dead fractions are not 0.

probe_network.csv: tensor, rows, cols, values (space-separated, row-major, repr() of float64):
  x_bytes, labels, scale, shift, learning_rate, max_norm, and weight_<l>, bias_<l> for each Linear
  l = 1, 2, 3 (weight: (out, in), as torch.nn.Linear and actlab's Linear).
probe_reference.csv: case, step, layer, metric, value, in the metric names of actlab's probes.csv:
  case "plain" trains without clipping, "clipped" with torch.nn.utils.clip_grad_norm_(max_norm), whose
  max_norm lies below the first step's gradient norm and above the second's, so it fires once.
  step s of grad_norm_weight, grad_norm_bias (‖∂L/∂W_l‖, ‖∂L/∂b_l‖, before clipping),
  grad_norm_preactivation (‖∂L/∂z_l‖_F / √batch, z_l = W_l a_{l-1} + b_l), grad_norm_global (the L2
  norm of all gradients, before clipping), clip_fired and update_ratio (‖W_l after - W_l before‖ /
  ‖W_l before‖ of the update at step s) describe optimizer step s; dead_fraction at step s (hidden
  layers: the fraction of units whose relu'(z) = 0 for every example) is measured with the weights
  after s steps; clip_count at step s is the number of clipped steps in the epoch that ends there.
"""

import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))

WIDTHS = [4, 6, 5, 3]
BATCH = 12
SCALE = 1.0 / 64  # x = byte / 64 - 2 in [-2, 2): exact in float32
SHIFT = -2.0
LEARNING_RATE = 0.5
STEPS = 2

gen = torch.Generator().manual_seed(20261206)
x_bytes = torch.randint(0, 256, (BATCH, WIDTHS[0]), generator=gen)
labels = torch.randint(0, WIDTHS[-1], (BATCH,), generator=gen)
x = x_bytes.to(torch.float64) * SCALE + SHIFT


def float32(t):
    return t.to(torch.float32).to(torch.float64)


initial = []
for l in range(3):
    fan_in, fan_out = WIDTHS[l], WIDTHS[l + 1]
    w = float32(torch.randn(fan_out, fan_in, generator=gen) / math.sqrt(fan_in))
    b = float32(torch.randn(fan_out, generator=gen) * 0.1)
    initial.append((w, b))
initial[0][1][2] = -20.0  # a dead unit in hidden layer 1: |W x| < 20 on every example
initial[1][1][4] = -20.0  # and one in hidden layer 2


def forward(params):
    a = x
    pre, hidden = [], []
    for l, (w, b) in enumerate(params):
        z = a @ w.T + b
        z.retain_grad()
        pre.append(z)
        if l + 1 < len(params):
            a = torch.relu(z)
            hidden.append(z)
    return F.cross_entropy(pre[-1], labels), pre, hidden


def dead_fraction(z):
    # relu'(z) = 0 for z <= 0 (PyTorch's autograd: relu'(0) = 0)
    return (z <= 0).all(dim=0).to(torch.float64).mean().item()


def train(max_norm):
    params = [(w.clone().requires_grad_(), b.clone().requires_grad_()) for w, b in initial]
    rows = []
    clipped_in_epoch = 0
    global_norms = []
    for step in range(STEPS + 1):
        loss, pre, hidden = forward(params)
        for l, z in enumerate(hidden):
            rows.append((step, l + 1, "dead_fraction", dead_fraction(z.detach())))
        if step > 0:
            # the epoch (one step) that ended here
            rows.append((step, 0, "clip_count", float(clipped_in_epoch)))
        if step == STEPS:
            break
        for w, b in params:
            w.grad = b.grad = None
        loss.backward()
        for l, ((w, b), z) in enumerate(zip(params, pre)):
            rows.append((step, l + 1, "grad_norm_weight", w.grad.norm().item()))
            rows.append((step, l + 1, "grad_norm_bias", b.grad.norm().item()))
            rows.append(
                (step, l + 1, "grad_norm_preactivation", z.grad.norm().item() / math.sqrt(BATCH))
            )
        flat = [t for pair in params for t in pair]
        total = torch.sqrt(sum((t.grad**2).sum() for t in flat)).item()
        global_norms.append(total)
        rows.append((step, 0, "grad_norm_global", total))
        fired = max_norm is not None and total > max_norm
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(flat, max_norm)
        rows.append((step, 0, "clip_fired", 1.0 if fired else 0.0))
        clipped_in_epoch = 1 if fired else 0
        with torch.no_grad():
            for l, (w, b) in enumerate(params):
                before = w.detach().clone()
                w -= LEARNING_RATE * w.grad
                b -= LEARNING_RATE * b.grad
                ratio = (w - before).norm().item() / before.norm().item()
                rows.append((step, l + 1, "update_ratio", ratio))
    return rows, global_norms


plain, plain_norms = train(None)
# Between the first step's norm and the second step's (after a clipped first step): clipping fires
# at step 0 only, so clip_fired and clip_count are checked both ways.
# The largest such max_norm on a grid of 2 % steps below the first norm, as a float32 value.
for fraction in [1 - 0.02 * k for k in range(1, 50)]:
    max_norm = float(torch.tensor(fraction * plain_norms[0]).to(torch.float32))
    clipped, clipped_norms = train(max_norm)
    if clipped_norms[0] > max_norm > clipped_norms[1]:
        break
assert clipped_norms[0] > max_norm > clipped_norms[1], (clipped_norms, max_norm)
assert all(r[3] > 0 for r in plain if r[2] == "dead_fraction")


def values(t):
    return " ".join(repr(float(v)) for v in t.reshape(-1).tolist())


with open(os.path.join(HERE, "probe_network.csv"), "w") as out:
    out.write("tensor,rows,cols,values\n")

    def emit(name, t):
        t = torch.as_tensor(t, dtype=torch.float64)
        t2 = t.reshape(1, -1) if t.dim() < 2 else t
        out.write(f"{name},{t2.shape[0]},{t2.shape[1]},{values(t2)}\n")

    emit("x_bytes", x_bytes.to(torch.float64))
    emit("labels", labels.to(torch.float64))
    emit("scale", SCALE)
    emit("shift", SHIFT)
    emit("learning_rate", LEARNING_RATE)
    emit("max_norm", max_norm)
    for l, (w, b) in enumerate(initial):
        emit(f"weight_{l + 1}", w)
        emit(f"bias_{l + 1}", b)

with open(os.path.join(HERE, "probe_reference.csv"), "w") as out:
    out.write("case,step,layer,metric,value\n")
    for case, rows in (("plain", plain), ("clipped", clipped)):
        for step, layer, metric, value in rows:
            out.write(f"{case},{step},{layer if layer else ''},{metric},{value!r}\n")
