#!/usr/bin/env python3
"""Writes the small IDX data sets under data/fixtures/ that the tests read (Python 3 stdlib only).

    python3 data/make_fixtures.py        # rewrites data/fixtures/tiny and data/fixtures/corrupt

The output is byte-for-byte deterministic (fixed random seed, gzip mtime 0), so re-running it
leaves `git status` clean. The generated files are committed; the tests never run this script.

tiny/     A learnable 10-class data set in the MNIST file layout: 14×14 images, 600 train / 200
          test, .gz. Each class is a distinct stroke pattern (bars, diagonals, a cross, a box, ...)
          drawn with a random shift of up to ±1 pixel, random stroke brightness and sparse
          salt-and-pepper noise, so a small MLP reaches well above chance in a few epochs, but a
          single fixed pixel does not give the class away.
corrupt/  One file (or, for failures that need a pair of files, one folder) per kind of damage the
          IDX reader and load_data must refuse with a DataError.
"""
import gzip
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")

SIZE = 14
CLASSES = 10
TRAIN_COUNT = 600
TEST_COUNT = 200


def idx_header(type_code, dims):
    """Big-endian IDX header: two zero bytes, the data type, the number of dimensions, then each
    dimension as an unsigned 32-bit integer."""
    return struct.pack(">BBBB", 0, 0, type_code, len(dims)) + b"".join(
        struct.pack(">I", d) for d in dims)


def images_file(images, rows, cols):
    return idx_header(0x08, [len(images), rows, cols]) + b"".join(bytes(img) for img in images)


def labels_file(labels):
    return idx_header(0x08, [len(labels)]) + bytes(labels)


def gz(data):
    # mtime=0 keeps the output identical from run to run.
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def class_strokes(label):
    """The pixels (row, col) of the class's pattern on a SIZE×SIZE canvas."""
    n = SIZE
    mid = n // 2
    lo, hi = 3, n - 4
    points = set()
    if label == 0:  # horizontal bar across the middle
        points |= {(r, c) for r in (mid - 1, mid) for c in range(lo, hi + 1)}
    elif label == 1:  # vertical bar down the middle
        points |= {(r, c) for r in range(lo, hi + 1) for c in (mid - 1, mid)}
    elif label == 2:  # main diagonal
        points |= {(i, i) for i in range(2, n - 2)} | {(i, i + 1) for i in range(2, n - 3)}
    elif label == 3:  # anti-diagonal
        points |= {(i, n - 1 - i) for i in range(2, n - 2)}
        points |= {(i, n - 2 - i) for i in range(2, n - 3)}
    elif label == 4:  # plus sign
        points |= {(mid, c) for c in range(lo, hi + 1)} | {(r, mid) for r in range(lo, hi + 1)}
    elif label == 5:  # hollow box
        for i in range(lo, hi + 1):
            points |= {(lo, i), (hi, i), (i, lo), (i, hi)}
    elif label == 6:  # filled block in the top-left quadrant
        points |= {(r, c) for r in range(2, mid) for c in range(2, mid)}
    elif label == 7:  # filled block in the bottom-right quadrant
        points |= {(r, c) for r in range(mid, n - 2) for c in range(mid, n - 2)}
    elif label == 8:  # two horizontal bars, top and bottom
        points |= {(r, c) for r in (lo, hi) for c in range(lo, hi + 1)}
    elif label == 9:  # two vertical bars, left and right
        points |= {(r, c) for r in range(lo, hi + 1) for c in (lo, hi)}
    return points


def make_image(rng, label):
    dr, dc = rng.randint(-1, 1), rng.randint(-1, 1)
    brightness = rng.randint(150, 255)
    image = [0] * (SIZE * SIZE)
    for r, c in class_strokes(label):
        r, c = r + dr, c + dc
        if 0 <= r < SIZE and 0 <= c < SIZE:
            image[r * SIZE + c] = brightness
    # Salt-and-pepper noise on ~8% of the pixels: some strokes get holes, some background lights up.
    for i in range(SIZE * SIZE):
        if rng.random() < 0.08:
            image[i] = rng.choice((0, 64, 128, 192, 255))
    return image


def make_split(rng, count):
    # Balanced classes in a shuffled order.
    labels = [i % CLASSES for i in range(count)]
    rng.shuffle(labels)
    return [make_image(rng, label) for label in labels], labels


def write_tiny():
    rng = random.Random(20240521)
    out = os.path.join(FIXTURES, "tiny")
    train_images, train_labels = make_split(rng, TRAIN_COUNT)
    test_images, test_labels = make_split(rng, TEST_COUNT)
    write(os.path.join(out, "train-images-idx3-ubyte.gz"), gz(images_file(train_images, SIZE, SIZE)))
    write(os.path.join(out, "train-labels-idx1-ubyte.gz"), gz(labels_file(train_labels)))
    write(os.path.join(out, "t10k-images-idx3-ubyte.gz"), gz(images_file(test_images, SIZE, SIZE)))
    write(os.path.join(out, "t10k-labels-idx1-ubyte.gz"), gz(labels_file(test_labels)))


def small_folder(path, rng, train=20, test=10, rows=4, cols=4, train_labels=None,
                 test_labels=None, test_rows=None):
    """A minimal, otherwise valid folder of the four raw files, for dataset-level failures."""
    def images(count, r, c):
        return [[rng.randrange(256) for _ in range(r * c)] for _ in range(count)]
    train_labels = train_labels if train_labels is not None else [i % 10 for i in range(train)]
    test_labels = test_labels if test_labels is not None else [i % 10 for i in range(test)]
    test_rows = test_rows if test_rows is not None else rows
    write(os.path.join(path, "train-images-idx3-ubyte"),
          images_file(images(train, rows, cols), rows, cols))
    write(os.path.join(path, "train-labels-idx1-ubyte"), labels_file(train_labels))
    write(os.path.join(path, "t10k-images-idx3-ubyte"),
          images_file(images(test, test_rows, cols), test_rows, cols))
    write(os.path.join(path, "t10k-labels-idx1-ubyte"), labels_file(test_labels))


def write_corrupt():
    rng = random.Random(7)
    out = os.path.join(FIXTURES, "corrupt")
    pixels = bytes(rng.randrange(256) for _ in range(100 * 8 * 8))
    valid = idx_header(0x08, [100, 8, 8]) + pixels  # 100 images of 8×8

    # The magic number written little-endian (a classic writer bug): read big-endian
    # that is 0x03080000 instead of 0x00000803.
    write(os.path.join(out, "bad-magic-idx3-ubyte"), struct.pack("<I", 0x00000803) + valid[4:])
    # The header promises 100×8×8 = 6400 bytes of pixels; only 1000 follow.
    write(os.path.join(out, "truncated-idx3-ubyte"), valid[:16 + 1000])
    # 100×8×8 pixels, then 37 bytes the header does not account for.
    write(os.path.join(out, "trailing-garbage-idx3-ubyte"), valid + b"\xab" * 37)
    # Image data stored as float32 (type code 0x0D) instead of unsigned bytes.
    write(os.path.join(out, "float32-idx3-ubyte"), idx_header(0x0D, [2, 2, 2]) + b"\0" * 32)
    # A 2-d header (count, pixels) where images need 3 dimensions.
    write(os.path.join(out, "two-dims-idx3-ubyte"), idx_header(0x08, [100, 64]) + pixels)
    # Zero rows per image.
    write(os.path.join(out, "zero-rows-idx3-ubyte"), idx_header(0x08, [100, 0, 8]))
    # 1000000×1000×1000 = 10^12 bytes (a terabyte) promised by a 16-byte file: must be refused from
    # the header alone, before anything is allocated.
    write(os.path.join(out, "terabytes-idx3-ubyte"), idx_header(0x08, [1000000, 1000, 1000]))
    # 4294967295³ does not even fit in 64 bits.
    write(os.path.join(out, "overflow-idx3-ubyte"),
          idx_header(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF]))
    # A valid gzip header and start, then the deflate stream overwritten with junk.
    compressed = bytearray(gz(valid))
    for i in range(len(compressed) // 3, len(compressed) // 3 + 64):
        compressed[i] = 0xFF
    write(os.path.join(out, "corrupt-idx3-ubyte.gz"), bytes(compressed))
    # A gzip stream cut off in the middle.
    full = gz(valid)
    write(os.path.join(out, "truncated-gz-idx3-ubyte.gz"), full[:len(full) // 2])
    write(os.path.join(out, "empty-idx3-ubyte"), b"")
    # A labels file (magic 0x00000801) where images are expected.
    write(os.path.join(out, "labels-as-images-idx3-ubyte"), labels_file([1, 2, 3]))

    # Failures that need a whole folder (load_data checks the files against each other).
    # 20 training images but 19 training labels.
    small_folder(os.path.join(out, "count-mismatch"), rng,
                 train_labels=[i % 10 for i in range(19)])
    # The first out-of-range label is 12 at index 7 (a second one, 10, follows at index 9).
    bad_labels = [i % 10 for i in range(20)]
    bad_labels[7] = 12
    bad_labels[9] = 10
    small_folder(os.path.join(out, "label-out-of-range"), rng, train_labels=bad_labels)
    # Training images are 4×4, test images 5×4.
    small_folder(os.path.join(out, "image-size-mismatch"), rng, test_rows=5)


def main():
    for name in ("tiny", "corrupt"):
        shutil.rmtree(os.path.join(FIXTURES, name), ignore_errors=True)
    write_tiny()
    write_corrupt()


if __name__ == "__main__":
    main()
