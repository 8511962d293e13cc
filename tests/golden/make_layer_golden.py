#!/usr/bin/python3
"""Writes tests/golden/layers.csv: reference values of the normalisation layers and the residual
block, computed by PyTorch (1.13, Debian's python3-torch) in float64 with autograd.

Run with Debian's python (/usr/bin/python3, where torch is installed):
    /usr/bin/python3 tests/golden/make_layer_golden.py
The tests read the CSV and never need torch.

One row per tensor: case, layer, training, options, tensor, rows, cols, values (space-separated,
row-major, repr() of float64). For each case:
  inputs      x (and x_second: a second training batch for batchnorm), dy (the upstream gradient:
              the loss is L = sum(y * dy)), the parameters and, for batchnorm, the running
              statistics before the forward (running_mean, running_var)
  outputs     y, dx (= dL/dx), <parameter>_grad for every parameter (dL/dθ), and for batchnorm the
              running statistics after the forward (running_mean_after, running_var_after) and
              after a second training forward on x_second (running_mean_after_second, ...)
Parameter names are actlab's (Layer::parameter_shapes): weight, bias for the norms;
norm.weight, norm.bias, activation.<param>, linear.weight, linear.bias for the residual block,
whose PyTorch counterpart is  x + Linear(f(Norm(x)))  built from torch.nn modules.
"""

import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.csv")

rows = []


def emit(case, layer, training, options, name, tensor):
    t = tensor.detach()
    if t.dim() == 1:
        t = t.reshape(1, -1)
    r, c = t.shape
    values = " ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    rows.append(f"{case},{layer},{int(training)},\"{options}\",{name},{r},{c},{values}")


def options_text(d):
    return ",".join(f"{k}={v}" for k, v in d.items())


def random_input(gen, batch, width, scale=1.0, shift=0.0):
    return torch.randn(batch, width, generator=gen) * scale + shift


case_id = 0


def next_case():
    global case_id
    case_id += 1
    return case_id - 1


def batchnorm_case(gen, batch, width, training, momentum, eps, affine):
    case = next_case()
    opts = {"momentum": momentum, "eps": eps, "affine": int(affine)}
    bn = torch.nn.BatchNorm1d(width, eps=eps, momentum=momentum, affine=affine)
    with torch.no_grad():
        if affine:
            bn.weight.copy_(1 + 0.3 * torch.randn(width, generator=gen))
            bn.bias.copy_(0.2 * torch.randn(width, generator=gen))
        bn.running_mean.copy_(0.5 * torch.randn(width, generator=gen))
        bn.running_var.copy_(0.5 + torch.rand(width, generator=gen))
    x = random_input(gen, batch, width, scale=2.0, shift=0.7).requires_grad_()
    x_second = random_input(gen, batch, width, scale=0.5, shift=-1.0)
    dy = torch.randn(batch, width, generator=gen)
    emit(case, "batchnorm", training, options_text(opts), "x", x)
    emit(case, "batchnorm", training, options_text(opts), "x_second", x_second)
    emit(case, "batchnorm", training, options_text(opts), "dy", dy)
    if affine:
        emit(case, "batchnorm", training, options_text(opts), "weight", bn.weight)
        emit(case, "batchnorm", training, options_text(opts), "bias", bn.bias)
    emit(case, "batchnorm", training, options_text(opts), "running_mean", bn.running_mean)
    emit(case, "batchnorm", training, options_text(opts), "running_var", bn.running_var)
    bn.train(training)
    y = bn(x)
    (y * dy).sum().backward()
    emit(case, "batchnorm", training, options_text(opts), "y", y)
    emit(case, "batchnorm", training, options_text(opts), "dx", x.grad)
    if affine:
        emit(case, "batchnorm", training, options_text(opts), "weight_grad", bn.weight.grad)
        emit(case, "batchnorm", training, options_text(opts), "bias_grad", bn.bias.grad)
    emit(case, "batchnorm", training, options_text(opts), "running_mean_after", bn.running_mean)
    emit(case, "batchnorm", training, options_text(opts), "running_var_after", bn.running_var)
    with torch.no_grad():
        bn(x_second)
    emit(case, "batchnorm", training, options_text(opts), "running_mean_after_second",
         bn.running_mean)
    emit(case, "batchnorm", training, options_text(opts), "running_var_after_second",
         bn.running_var)


def layernorm_case(gen, batch, width, eps, affine, scale=1.0, shift=0.0):
    case = next_case()
    opts = {"eps": eps, "affine": int(affine)}
    ln = torch.nn.LayerNorm(width, eps=eps, elementwise_affine=affine)
    with torch.no_grad():
        if affine:
            ln.weight.copy_(1 + 0.3 * torch.randn(width, generator=gen))
            ln.bias.copy_(0.2 * torch.randn(width, generator=gen))
    x = random_input(gen, batch, width, scale=scale, shift=shift).requires_grad_()
    dy = torch.randn(batch, width, generator=gen)
    text = options_text(opts)
    emit(case, "layernorm", 1, text, "x", x)
    emit(case, "layernorm", 1, text, "dy", dy)
    if affine:
        emit(case, "layernorm", 1, text, "weight", ln.weight)
        emit(case, "layernorm", 1, text, "bias", ln.bias)
    y = ln(x)
    (y * dy).sum().backward()
    emit(case, "layernorm", 1, text, "y", y)
    emit(case, "layernorm", 1, text, "dx", x.grad)
    if affine:
        emit(case, "layernorm", 1, text, "weight_grad", ln.weight.grad)
        emit(case, "layernorm", 1, text, "bias_grad", ln.bias.grad)


ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "gelu": torch.nn.GELU,  # exact (erf) form, as actlab's gelu
    "tanh": torch.nn.Tanh,
}


def residual_case(gen, batch, width, norm, activation, training):
    """x + Linear(f(Norm(x))), Linear width -> width."""
    case = next_case()
    opts = {"norm": norm, "activation": activation}
    text = options_text(opts)
    parts = []
    if norm == "layernorm":
        norm_layer = torch.nn.LayerNorm(width)
    elif norm == "batchnorm":
        norm_layer = torch.nn.BatchNorm1d(width)
    else:
        norm_layer = None
    act = ACTIVATIONS[activation]()
    linear = torch.nn.Linear(width, width)
    with torch.no_grad():
        if norm_layer is not None:
            norm_layer.weight.copy_(1 + 0.3 * torch.randn(width, generator=gen))
            norm_layer.bias.copy_(0.2 * torch.randn(width, generator=gen))
            parts += [("norm.weight", norm_layer.weight), ("norm.bias", norm_layer.bias)]
        linear.weight.copy_(torch.randn(width, width, generator=gen) / width ** 0.5)
        linear.bias.copy_(0.1 * torch.randn(width, generator=gen))
        parts += [("linear.weight", linear.weight), ("linear.bias", linear.bias)]
        if norm == "batchnorm":
            norm_layer.running_mean.copy_(0.3 * torch.randn(width, generator=gen))
            norm_layer.running_var.copy_(0.5 + torch.rand(width, generator=gen))
    x = random_input(gen, batch, width, scale=1.5, shift=0.2).requires_grad_()
    dy = torch.randn(batch, width, generator=gen)
    emit(case, "residual", training, text, "x", x)
    emit(case, "residual", training, text, "dy", dy)
    for name, p in parts:
        emit(case, "residual", training, text, name, p)
    if norm == "batchnorm":
        emit(case, "residual", training, text, "norm.running_mean", norm_layer.running_mean)
        emit(case, "residual", training, text, "norm.running_var", norm_layer.running_var)
        norm_layer.train(training)
    n = norm_layer(x) if norm_layer is not None else x
    y = x + linear(act(n))
    (y * dy).sum().backward()
    emit(case, "residual", training, text, "y", y)
    emit(case, "residual", training, text, "dx", x.grad)
    for name, p in parts:
        emit(case, "residual", training, text, name + "_grad", p.grad)
    if norm == "batchnorm":
        emit(case, "residual", training, text, "norm.running_mean_after", norm_layer.running_mean)
        emit(case, "residual", training, text, "norm.running_var_after", norm_layer.running_var)


def main():
    gen = torch.Generator().manual_seed(20240611)
    # BatchNorm1d: training (PyTorch's defaults, other momentum/eps, no affine), evaluation, and
    # the smallest training batch (2 rows).
    batchnorm_case(gen, 6, 4, True, 0.1, 1e-5, True)
    batchnorm_case(gen, 5, 3, True, 0.3, 1e-3, True)
    batchnorm_case(gen, 4, 3, True, 0.1, 1e-5, False)
    batchnorm_case(gen, 2, 5, True, 0.1, 1e-5, True)
    batchnorm_case(gen, 6, 4, False, 0.1, 1e-5, True)
    # LayerNorm: defaults, no affine, a large offset (cancellation), a tiny spread (eps matters).
    layernorm_case(gen, 5, 6, 1e-5, True)
    layernorm_case(gen, 3, 4, 1e-5, False)
    layernorm_case(gen, 4, 8, 1e-5, True, scale=3.0, shift=1000.0)
    layernorm_case(gen, 3, 5, 1e-3, True, scale=0.01)
    # Residual blocks.
    residual_case(gen, 5, 4, "layernorm", "gelu", True)
    residual_case(gen, 6, 3, "batchnorm", "relu", True)
    residual_case(gen, 6, 3, "batchnorm", "tanh", False)
    residual_case(gen, 4, 5, "none", "tanh", True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("case,layer,training,options,tensor,rows,cols,values\n")
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows)} rows ({case_id} cases) to {OUT}")


if __name__ == "__main__":
    main()
