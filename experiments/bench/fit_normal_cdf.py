#!/usr/bin/env python3
"""Refit the polynomial behind actlab::normal_cdf_pdf (framework/actlab/core/vector_math.hpp).

erfc(z) = exp(-z^2) * erfcx(z), and erfcx(z) is approximated as t * P(t - C) with t = 1/(1 + z/2)
and P of degree 8, fitted for relative error on z in [0, 10.6] (iteratively reweighted least
squares, which approaches the minimax fit). Prints the coefficients, highest degree first, as the
C++ source has them, and the largest relative error of erfcx in exact arithmetic and evaluated in
float32 as the C++ does (fma in every Horner step).

Needs numpy and scipy (Debian: python3-numpy python3-scipy):
    /usr/bin/python3 experiments/bench/fit_normal_cdf.py
"""
import numpy as np
from scipy.special import erfcx

Z_MAX = 10.6  # exp(-z^2) underflows float32 beyond this, so the product is 0 whatever P gives
P_SCALE = 0.5  # t = 1 / (1 + P_SCALE * z)
CENTRE = 0.58  # P is a polynomial in t - CENTRE
DEGREE = 8


def fit(iterations=60):
    t_min = 1 / (1 + P_SCALE * Z_MAX)
    t = np.linspace(t_min, 1, 20000)
    z = (1 / t - 1) / P_SCALE
    target = erfcx(z) / t
    basis = np.vander(t - CENTRE, DEGREE + 1)
    weights = np.ones_like(t)
    for i in range(iterations):
        coefficients = np.linalg.lstsq(basis * (weights / target)[:, None], weights, rcond=None)[0]
        residual = basis @ coefficients / target - 1
        if i + 1 < iterations:  # Lawson: weight up where the error is largest
            weights *= np.sqrt(np.abs(residual))
            weights /= weights.max()
    return coefficients


def erfcx_in_float32(coefficients, z):
    f32 = np.float32
    t = (f32(1) / (np.float64(f32(P_SCALE)) * z + 1).astype(f32)).astype(f32)  # 1 / fma(.5, z, 1)
    s = (t - f32(CENTRE)).astype(f32)
    p = np.full_like(t, f32(coefficients[0]))
    for c in coefficients[1:]:  # fma: the product of two floats is exact in float64
        p = (p.astype(np.float64) * s + np.float64(f32(c))).astype(f32)
    return (p * t).astype(f32)


def main():
    coefficients = fit()
    z = np.linspace(0, Z_MAX, 400001)
    exact = np.abs(np.polyval(coefficients, 1 / (1 + P_SCALE * z) - CENTRE)
                   / (1 + P_SCALE * z) / erfcx(z) - 1).max()
    z32 = z.astype(np.float32)
    in_float = np.abs(erfcx_in_float32(coefficients, z32) / erfcx(z32.astype(np.float64)) - 1).max()
    print(f"erfcx: max relative error {exact:.2e} in exact arithmetic, {in_float:.2e} in float32")
    for c in coefficients:
        print(f"{np.float32(c):.9e}f")


if __name__ == "__main__":
    main()
