"""Pure functions over labels, probabilities and numbers: no Keras, no files.

Accuracy and loss are measured on the data with the final weights (not the
epoch-averaged numbers of the training history).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

#: Keras clips probabilities to [eps, 1 - eps] before taking the log.
EPSILON = 1e-7


def accuracy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Share of rows whose arg-max equals the label."""
    labels = np.asarray(labels)
    predicted = np.argmax(probabilities, axis=-1)
    if len(labels) == 0:
        raise ValueError("Cannot measure accuracy on an empty set.")
    return float(np.mean(predicted == labels))


def image_cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Each image's sparse categorical cross-entropy, as Keras computes it from softmax outputs."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    probabilities = probabilities / probabilities.sum(axis=-1, keepdims=True)
    picked = probabilities[np.arange(len(labels)), np.asarray(labels)]
    return -np.log(np.clip(picked, EPSILON, 1.0 - EPSILON))


def cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean sparse categorical cross-entropy, as Keras computes it from softmax outputs."""
    return float(np.mean(image_cross_entropy(labels, probabilities)))


def accuracy_and_loss(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    return {"accuracy": accuracy(labels, probabilities), "loss": cross_entropy(labels, probabilities)}


def overfitting_gap(train: dict, test: dict) -> dict:
    """Train accuracy minus test accuracy, and test loss minus train loss.

    Both are positive when the model does better on the data it was trained on.
    """
    return {
        "accuracy_gap": float(train["accuracy"] - test["accuracy"]),
        "loss_gap": float(test["loss"] - train["loss"]),
    }


def confusion(labels: np.ndarray, predicted: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predicted, labels=np.arange(num_classes))


def per_class_scores(labels: np.ndarray, predicted: np.ndarray, num_classes: int = 10) -> dict:
    """Precision, recall, F1 and support per class (lists indexed by digit)."""
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=np.arange(num_classes), zero_division=0
    )
    return {
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "support": support.astype(int).tolist(),
    }


def most_confused_pairs(matrix: np.ndarray, top: int = 5) -> list[dict]:
    """The off-diagonal cells of a confusion matrix with the most errors."""
    matrix = np.asarray(matrix)
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    pairs = []
    for flat in order:
        true, predicted = np.unravel_index(flat, off.shape)
        if off[true, predicted] == 0:
            break
        pairs.append({"true": int(true), "predicted": int(predicted), "count": int(off[true, predicted])})
    return pairs


def summarize(values: Iterable[float], confidence: float = 0.95) -> dict:
    """Mean, sample standard deviation and a t-based confidence interval of the mean.

    With one value the spread is unknown: ``std`` and the interval are ``None``.
    """
    from scipy import stats

    array = np.asarray(list(values), dtype=np.float64)
    if array.size == 0:
        raise ValueError("Cannot summarize an empty list of values.")
    mean = float(array.mean())
    if array.size == 1:
        return {"n": 1, "mean": mean, "std": None, "ci_low": None, "ci_high": None}
    std = float(array.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=array.size - 1) * std / math.sqrt(array.size))
    return {"n": int(array.size), "mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half}


def mcnemar_exact(labels: np.ndarray, predicted_a: np.ndarray, predicted_b: np.ndarray) -> dict:
    """McNemar's exact test on two classifiers' predictions for the same items.

    ``a_only``: items A gets right and B wrong; ``b_only``: the reverse. Under the
    null hypothesis (equal error rates) ``a_only ~ Binomial(a_only + b_only, 1/2)``.
    """
    from scipy.stats import binomtest

    labels = np.asarray(labels)
    correct_a = np.asarray(predicted_a) == labels
    correct_b = np.asarray(predicted_b) == labels
    a_only = int(np.sum(correct_a & ~correct_b))
    b_only = int(np.sum(~correct_a & correct_b))
    discordant = a_only + b_only
    p_value = 1.0 if discordant == 0 else float(binomtest(a_only, discordant, 0.5).pvalue)
    return {
        "a_only": a_only,
        "b_only": b_only,
        "both_right": int(np.sum(correct_a & correct_b)),
        "both_wrong": int(np.sum(~correct_a & ~correct_b)),
        "p_value": p_value,
    }


def format_mean_std(summary: dict, *, percent: bool = False, digits: int = 2) -> str:
    """'97.79 ± 0.08' (or just the mean when there is one value)."""
    scale = 100.0 if percent else 1.0
    mean = summary["mean"] * scale
    if summary.get("std") is None:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {summary['std'] * scale:.{digits}f}"


def paired_differences(a: Sequence[float], b: Sequence[float]) -> list[float]:
    if len(a) != len(b):
        raise ValueError("Paired differences need two lists of the same length.")
    return [float(x - y) for x, y in zip(a, b)]


def reliability(labels: np.ndarray, probabilities: np.ndarray, bins: int = 15) -> dict:
    """Per confidence bin (equal width over [0, 1]): items, mean confidence and accuracy of the arg-max."""
    confidence = probabilities.max(1)
    correct = np.argmax(probabilities, 1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    count = np.bincount(which, minlength=bins).astype(float)
    safe = np.maximum(count, 1)
    return {
        "edges": edges.tolist(),
        "count": count,
        "confidence": np.bincount(which, weights=confidence, minlength=bins) / safe,
        "accuracy": np.bincount(which, weights=correct.astype(float), minlength=bins) / safe,
    }


def expected_calibration_error(table: dict) -> float:
    """Sum over bins of (items in the bin / all items) x |accuracy - mean confidence|."""
    count = np.asarray(table["count"], dtype=float)
    gap = np.abs(np.asarray(table["accuracy"]) - np.asarray(table["confidence"]))
    return float(np.sum(count / count.sum() * gap))


def binomial_interval(correct: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion: the test-set sampling error of one run's accuracy."""
    from scipy.stats import binomtest

    if total < 1:
        raise ValueError("A binomial interval needs at least one item.")
    result = binomtest(int(correct), int(total)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(result.low), float(result.high)


def best_epoch(values: Sequence[float], *, lower_is_better: bool = True) -> int:
    """1-based epoch of the best value (the first one on ties): early stopping's choice."""
    values = np.asarray(values, dtype=float)
    return int(np.argmin(values) if lower_is_better else np.argmax(values)) + 1


#: The smallest positive float32: a softmax output that underflowed to 0 is read as this when its log is
#: taken.
_SMALLEST_PROBABILITY = float(np.finfo(np.float32).tiny)


def log_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """``log p`` in float64, zeros (float32 underflow) read as the smallest float32.

    A model whose output is ``softmax(z)`` has ``log p = z - logsumexp(z)``: its logits up to a constant
    per row, which softmax ignores, so ``softmax(log p / T) = softmax(z / T)``.
    """
    return np.log(np.maximum(np.asarray(probabilities, dtype=np.float64), _SMALLEST_PROBABILITY))


def _log_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def temperature_scale(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(log p / T)``: the probabilities a softmax model gives with its logits divided by ``T``
    (``T > 1`` softens them, ``T < 1`` sharpens them; the arg-max never changes). Same dtype as given."""
    if not temperature > 0:
        raise ValueError(f"A temperature must be positive, not {temperature!r}.")
    probabilities = np.asarray(probabilities)
    dtype = probabilities.dtype if np.issubdtype(probabilities.dtype, np.floating) else np.float64
    if temperature == 1.0:
        return probabilities.astype(dtype, copy=True)
    return np.exp(_log_softmax(log_probabilities(probabilities) / temperature)).astype(dtype)


def temperature_nll(labels: np.ndarray, probabilities: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``labels`` under ``softmax(log p / T)``, computed in log space
    (no clipping at ``EPSILON``, unlike ``cross_entropy``: the quantity temperature scaling minimises)."""
    log_p = _log_softmax(log_probabilities(probabilities) / temperature)
    return float(-np.mean(log_p[np.arange(len(labels)), np.asarray(labels)]))


def fit_temperature(
    labels: np.ndarray, probabilities: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)
) -> float:
    """The temperature ``T`` in ``bounds`` that minimises the NLL of ``labels`` under ``softmax(log p / T)``
    (Guo et al., 2017: fit it on held-out data, never on the test set). Bounded Brent search over ``log
    T``."""
    from scipy.optimize import minimize_scalar

    labels = np.asarray(labels)
    log_p = log_probabilities(probabilities)
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        return float(-np.mean(_log_softmax(log_p / np.exp(log_t))[rows, labels]))

    low, high = np.log(bounds[0]), np.log(bounds[1])
    found = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(found.x))


#: The fields of a run's snapshot that results.json summarises over seeds: key -> (split, field).
SUMMARY_METRICS = {
    "train_accuracy": ("train", "accuracy"),
    "test_accuracy": ("test", "accuracy"),
    "val_accuracy": ("val", "accuracy"),
    "train_loss": ("train", "loss"),
    "test_loss": ("test", "loss"),
    "val_loss": ("val", "loss"),
    "accuracy_gap": ("gap", "accuracy_gap"),
    "loss_gap": ("gap", "loss_gap"),
}


def with_image_sampling(summary: dict, counts: list[dict], level: float = 0.95) -> dict:
    """``summary``, a paired difference of accuracies over seeds with its t-interval, with the interval
    widened by the sampling error of the test images, which the seeds share. Each seed's McNemar ``counts``
    (``mcnemar_exact``) give that error for one run: over n images of which a fraction d is discordant, the
    difference m has variance (d − m²)/n. The seeds are scored on the same images, so their errors are taken
    as fully correlated, the conservative bound: the image part is the mean of the seeds' standard errors. It
    adds to the seeds' part in quadrature (a t quantile for the seeds, a normal one for the images)."""
    errors = []
    for count in counts:
        n = count["a_only"] + count["b_only"] + count["both_right"] + count["both_wrong"]
        discordant = (count["a_only"] + count["b_only"]) / n
        difference = (count["a_only"] - count["b_only"]) / n
        errors.append(math.sqrt(max(discordant - difference**2, 0.0) / n))
    return widened(summary, float(np.mean(errors)), level)


def with_error_rate_bound(
    summary: dict, first: list[float], second: list[float], n: int, level: float = 0.95
) -> dict:
    """``with_image_sampling`` for two models whose answers per image were not kept: ``first`` and ``second``
    are their test accuracies per seed on the same ``n`` images. The images on which two models disagree are
    at most those that either gets wrong, so a seed's discordant fraction d is bounded by the sum of the two
    error rates; with that bound for d the widened interval is wider still, a conservative test."""
    return widened(summary, error_rate_se(first, second, n), level)


def error_rate_se(first: list[float], second: list[float], n: int) -> float:
    """The bound of ``with_error_rate_bound`` on the images' standard error of a difference of accuracies:
    over the seeds, the mean of √((d − m²)/n) for a difference m on ``n`` images, where d, the share of images
    the two models answer differently, is bounded by the sum of their error rates (and by 1)."""
    errors = [
        math.sqrt(max(min((1 - a) + (1 - b), 1.0) - (a - b) ** 2, 0.0) / n)
        for a, b in zip(first, second, strict=True)
    ]
    return float(np.mean(errors))


def widened(summary: dict, image: float, level: float = 0.95) -> dict:
    """``summary``'s interval with the images' standard error ``image`` added to the seeds' part in
    quadrature (a t quantile for the seeds, a normal one for the images)."""
    from scipy import stats

    seeds = stats.t.ppf(0.5 + level / 2, summary["n"] - 1) * summary["std"] / math.sqrt(summary["n"])
    half = math.hypot(seeds, stats.norm.ppf(0.5 + level / 2) * image)
    return {**summary, "ci_low": summary["mean"] - half, "ci_high": summary["mean"] + half, "image_se": image}
