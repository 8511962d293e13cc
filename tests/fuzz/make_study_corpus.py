#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/study: inputs of study_fuzz that replay the command sequences that once
mixed configurations in one table (shards with other overrides, a cell into another cell's folder,
merge into a folder of another configuration, a resume with a changed configuration, duplicate
cells by spelling), a healthy study, and a few random inputs.

study_fuzz reads its input with FuzzedDataProvider: every choice it makes takes one byte from the
end of the input (value = byte mod the number of choices; a yes/no is the byte's lowest bit), in
the order study_fuzz.cpp makes them. An input is therefore the list of choices, reversed.
    python3 tests/fuzz/make_study_corpus.py
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

RATES = ["0.1", "0.05", "5e-2", "0.5"]
AXES = ["model.activation", "seed", "optimizer.learning_rate", "train.epochs", "data.dataset",
        "model.depth", "name"]
OVERRIDES = ["optimizer.learning_rate=0.5", "train.epochs=2", "seed=3", "sweep.seed=[1]",
             "model.activation=tanh", "name=b", "sweep.seed=[1, 1]", "train.epochs="]
FOLDERS = ["s", "b", "other"]
SHARDS = ["1/2", "2/2", "1/3", "3/3", "1/1", "0/2", "3/2", "a/b"]
RUN, MERGE, SUMMARY, EDIT = 0, 2, 3, 4


def study(axis, values):
    """xor, learning rate 0.1, one epoch, one swept axis; `values` are indices into its choices."""
    choices = [False, RATES.index("0.1"), 1, AXES.index(axis), 1, values[0], len(values) == 2]
    if len(values) == 2:
        choices.append(values[1])
    return choices + [2]  # no second axis, no zip


def overrides(names):
    out = [len(names)]
    for name in names:
        out += [1, OVERRIDES.index(name)]
    return out


def run(sets=(), resume=False, out=None, cell=None, cell_out=None, shard=None, stop=False):
    """A study command. `cell` and `cell_out` index the cell ids ['activation=relu', cells...]."""
    choices = [RUN] + overrides(sets) + [resume, 1, out is not None]
    if out is not None:
        choices.append(FOLDERS.index(out))
    choices += [1, cell is not None]
    if cell is not None:
        choices += overrides(sets) + [cell]
        if out is not None:
            choices.append(cell_out is not None)
            if cell_out is not None:
                choices.append(cell_out)
    choices.append(0 if shard else 1)
    if shard:
        choices.append(SHARDS.index(shard))
    return choices + [0 if stop else 1]


def merge(inputs, out=None):
    choices = [MERGE] + [name in inputs for name in FOLDERS] + [out is not None]
    return choices + ([FOLDERS.index(out)] if out is not None else [])


def summary(folder):
    return [SUMMARY, FOLDERS.index(folder)]


def scenario(study_choices, *commands):
    choices = study_choices + [len(commands) - 1]
    for command in commands:
        choices += command
    return bytes(int(c) for c in reversed(choices))


SEEDS = study("seed", [0, 1])  # seed: [1, 2]: cells seed=1 and seed=2 (ids 1 and 2)
SCENARIOS = {
    # Shards of one folder with different overrides (finding 2).
    "shards-with-other-overrides": scenario(
        SEEDS, run(shard="1/2"), run(sets=["optimizer.learning_rate=0.5"], shard="2/2"),
        summary("s")),
    # A cell run into the folder of another cell, not yet run, of the study (finding 2).
    "cell-into-another-cells-folder": scenario(
        SEEDS, run(shard="1/2"), run(out="s", cell=1, cell_out=2), summary("s")),
    # merge --out into a folder of finished results of another configuration (finding 3).
    "merge-into-another-configuration": scenario(
        SEEDS, run(sets=["optimizer.learning_rate=0.5"]), run(out="b"), merge(["b"], out="s")),
    # A resume with a changed configuration, one cell interrupted before its first checkpoint
    # (finding 4).
    "resume-with-changed-configuration": scenario(
        SEEDS, run(shard="1/2"), run(out="s", cell=2, cell_out=2, stop=True),
        run(sets=["optimizer.learning_rate=0.5"], resume=True), summary("s")),
    # Two spellings of one seed are one cell (finding 6).
    "duplicate-by-spelling": scenario(study("seed", [0, 2]), run()),
    # A healthy study: run, resume (nothing to do), summary, merge in place.
    "healthy": scenario(study("model.activation", [0, 1]), run(), run(resume=True),
                        summary("s"), merge(["s"])),
}


def main():
    folder = os.path.join(HERE, "corpus", "study")
    os.makedirs(folder, exist_ok=True)
    for name, data in SCENARIOS.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    rng = random.Random(7)
    for i in range(4):
        with open(os.path.join(folder, f"random-{i}"), "wb") as f:
            f.write(bytes(rng.randrange(256) for _ in range(rng.choice([48, 96, 160]))))


if __name__ == "__main__":
    main()
