"""Rebuild mnist_small.npz from the full MNIST npz: python tests/data/make_mnist_small.py PATH."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mnist_compare.data import load_npz, stratified_subset  # noqa: E402

TRAIN_SIZE, TEST_SIZE, SEED = 1200, 300, 7

if __name__ == "__main__":
    (x_train, y_train), (x_test, y_test) = load_npz(sys.argv[1])
    train = stratified_subset(y_train, TRAIN_SIZE, SEED)
    test = stratified_subset(y_test, TEST_SIZE, SEED)
    out = Path(__file__).with_name("mnist_small.npz")
    np.savez_compressed(
        out, x_train=x_train[train], y_train=y_train[train], x_test=x_test[test], y_test=y_test[test]
    )
    print(f"wrote {out}")
