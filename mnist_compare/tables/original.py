"""The original report beside ours: its numbers beside the range of ours, and its errors named (the
tables only; the notebooks write the sentences).

The original's numbers are quoted from its text (``ORIGINAL``); every other number comes from
results.json.
"""

from __future__ import annotations

from ..formatting import bare_claim, caption, markdown_table, plural
from ..metrics import SUMMARY_METRICS
from ..numbering import ref
from ..references import cite
from ..registry import BASELINE, CANDIDATE
from .grid import many_seed_snapshot

#: The original report's comparison table (section 5.1), as printed: one run per setting.
ORIGINAL = {
    "5": {
        BASELINE: {
            "train_accuracy": 0.9891,
            "test_accuracy": 0.9770,
            "train_loss": 0.0385,
            "test_loss": 0.0804,
            "accuracy_gap": 0.0131,
        },
        CANDIDATE: {
            "train_accuracy": 0.9970,
            "test_accuracy": 0.9861,
            "train_loss": 0.0106,
            "test_loss": 0.0433,
            "accuracy_gap": 0.0109,
        },
    },
    "10": {
        BASELINE: {
            "train_accuracy": 0.9955,
            "test_accuracy": 0.9779,
            "train_loss": 0.0192,
            "test_loss": 0.0853,
            "accuracy_gap": 0.0176,
        },
        CANDIDATE: {
            "train_accuracy": 0.9983,
            "test_accuracy": 0.9871,
            "train_loss": 0.0050,
            "test_loss": 0.0591,
            "accuracy_gap": 0.0112,
        },
    },
}


#: What the original printed for the 5-epoch MLP gap (section 2.4) against what it tabled (1.31%):
#: 98.91% − 97.70% = 1.21 pp, so the table's 1.31 is a typing error.
ORIGINAL_PRINTED_MLP_GAP = 0.0121


#: The original's numbers as this report compares them: its table with the typing error corrected.
CORRECTED = {("5", BASELINE, "accuracy_gap"): ORIGINAL_PRINTED_MLP_GAP}


#: The first three validation losses of the original's 10-epoch logs: the CNN's repeat the MLP's.
ORIGINAL_VAL_LOSS_10 = {BASELINE: [0.1223, 0.0883, 0.0825], CANDIDATE: [0.1223, 0.0883, 0.0825]}


#: Steps per epoch in the original's logs: 1,688 x 32 = 54,000 (MLP, 10% held out) and
#: 1,875 x 32 = 60,000 (CNN: all training images, validated on the test set).
ORIGINAL_STEPS = {BASELINE: 1688, CANDIDATE: 1875}


PARITY_ROWS = (
    ("Train accuracy (%)", "train_accuracy", True, 2),
    ("Test accuracy (%)", "test_accuracy", True, 2),
    ("Train loss", "train_loss", False, 4),
    ("Test loss", "test_loss", False, 4),
    ("Train − test gap (pp)", "accuracy_gap", True, 2),
)


#: How each of the parity table's metrics prints: (percent, digits).
PARITY_FORMATS = {key: (percent, digits) for _, key, percent, digits in PARITY_ROWS}


def _original(value: float, percent: bool, digits: int) -> str:
    return f"{100 * value:.{digits}f}" if percent else f"{value:.{digits}f}"


def _bound(value: float, original: float, percent: bool, digits: int) -> str:
    """A bound of our seeds' range, with more decimals (up to 3 more) where at ``digits`` it would print as
    the original's number without being equal to it, so that inside or outside reads right."""
    places = digits
    while (
        value != original
        and _original(value, percent, places) == _original(original, percent, places)
        and places < digits + 3
    ):
        places += 1
    return _original(value, percent, places)


def _inside(values: list[float], value: float) -> bool:
    """Whether ``value`` lies inside the range (min..max) of our seeds' ``values``."""
    return min(values) <= value <= max(values)


def original_value(epochs: str, name: str, key: str) -> float:
    """One of the original's numbers, with its table's typing error corrected (``CORRECTED``)."""
    return CORRECTED.get((epochs, name, key), ORIGINAL[epochs][name][key])


def _parity_values(results: dict, epochs: str, name: str, key: str) -> list[float]:
    """Our runs' values of one of the original's numbers: over the size comparison's seeds when it records the
    snapshot, else over the grid's."""
    snapshot = many_seed_snapshot(results, name, epochs)
    if snapshot and key in snapshot:
        return snapshot[key]
    part, field = _FIELDS[key]
    return [run["snapshots"][epochs][part][field] for run in results["runs"] if run["model"] == name]


def parity_seed_count(results: dict) -> int:
    """How many seeds the ranges of the parity table span (the fewest over its models and snapshots)."""
    return min(
        (
            len(_parity_values(results, epochs, name, "test_accuracy"))
            for epochs, models in ORIGINAL.items()
            if epochs in results["summary"][BASELINE]
            for name in models
        ),
        default=len(results["config"]["seeds"]),
    )


def parity_counts(results: dict) -> tuple[int, int]:
    """How many of the original's numbers lie inside the range of our seeds, and how many there are."""
    inside = total = 0
    for epochs, models in ORIGINAL.items():
        if epochs not in results["summary"][BASELINE]:
            continue
        for name, numbers in models.items():
            for key in numbers:
                inside += _inside(
                    _parity_values(results, epochs, name, key), original_value(epochs, name, key)
                )
                total += 1
    return inside, total


#: The side of our range an original number falls on when its model is less tightly fitted than ours: less
#: accurate on its training images, a higher training and test loss, a smaller gap.
LESS_FITTED = {
    "train_accuracy": "below",
    "test_accuracy": "below",
    "train_loss": "above",
    "test_loss": "above",
    "accuracy_gap": "below",
}


def parity_misses(results: dict) -> dict:
    """{(epochs, model): {key: "below" or "above"}}: each of the original's numbers outside the range of our
    seeds, and on which side of it."""
    out: dict = {}
    for epochs, models in ORIGINAL.items():
        if epochs not in results["summary"][BASELINE]:
            continue
        for name, numbers in models.items():
            for key in numbers:
                values, value = _parity_values(results, epochs, name, key), original_value(epochs, name, key)
                if not _inside(values, value):
                    out.setdefault((epochs, name), {})[key] = "below" if value < min(values) else "above"
    return out


#: The anchor of the parity table (the notebooks cite it as ``[Table](#original-numbers-table)``).
PARITY_TABLE = "original-numbers-table"


def parity_markdown(results: dict) -> str:
    """The original's table, number by number, beside the range our seeds span (their means are in the
    epoch tables); an original number marked * is corrected (``CORRECTED``)."""
    rows = []
    for epochs in ("5", "10"):
        if epochs not in results["summary"][BASELINE]:
            continue
        for label, key, percent, digits in PARITY_ROWS:
            row = [epochs, label]
            for name in (BASELINE, CANDIDATE):
                values = _parity_values(results, epochs, name, key)
                original = original_value(epochs, name, key)
                star = "*" if (epochs, name, key) in CORRECTED else ""
                where = "in" if _inside(values, original) else "out"
                row += [
                    f"{_original(original, percent, digits)}{star} ({where})",
                    f"{_bound(min(values), original, percent, digits)}–"
                    f"{_bound(max(values), original, percent, digits)}",
                ]
            rows.append(row)
    return (
        caption(
            results,
            f"The original report's single-run numbers beside the range of our "
            f"{plural(parity_seed_count(results), 'seed')}, each marked in or out of it (its MLP's train "
            "accuracy counts all 60,000 training images, ours the 54,000 we train on)"
            # The corrected number as the original's own train and test accuracies give it.
            + "".join(
                "; * "
                + " − ".join(
                    _original(original_value(e, name, part), *PARITY_FORMATS[part])
                    for part in ("train_accuracy", "test_accuracy")
                )
                + ", as its text gives it; its table prints "
                + _original(ORIGINAL[e][name][key], *PARITY_FORMATS[key])
                for e, name, key in CORRECTED
            ),
            label=PARITY_TABLE,
        )
        + "\n\n"
        + markdown_table(
            ["Epochs", "Metric", "MLP: original", "MLP: our range", "CNN: original", "CNN: our range"], rows
        )
    )


#: Where each of the original's numbers is in a run record: (part, field).
_FIELDS = {key: SUMMARY_METRICS[key] for key in ORIGINAL["5"][BASELINE]}


#: The anchor of the errors table (the notebooks cite it as ``[Table](#original-errors-table)``).
ERRORS_TABLE = "original-errors-table"


def original_errors_markdown(results: dict) -> str:
    """The original report's errors, each with what shows it and what this report does instead."""
    o5 = ORIGINAL["5"]
    mlp_gap, cnn_gap = ORIGINAL_PRINTED_MLP_GAP, o5[CANDIDATE]["accuracy_gap"]
    tabled = o5[BASELINE]["accuracy_gap"]
    val = results["config"]["validation_size"]
    steps = ORIGINAL_STEPS[CANDIDATE]
    batch = results["config"]["batch_size"]
    loss_10 = ", ".join(f"{v:.4f}" for v in ORIGINAL_VAL_LOSS_10[CANDIDATE])
    rows = [
        [
            "Its CNN was validated on the test set (4.1)",
            "Its code passes the test images as validation data, its log shows "
            f"{steps:,} steps of {batch} per epoch (all {steps * batch:,} training images), and its last "
            "validation loss and accuracy are its test loss and accuracy "
            f"({o5[CANDIDATE]['test_loss']:.4f}, {100 * o5[CANDIDATE]['test_accuracy']:.2f}%). With a fixed "
            "number of epochs the test set chose nothing, so its test numbers are not biased by it; but it "
            "has no validation set of its own.",
            f"Both models hold out the same {val:,} training images for validation; the test set is never "
            "used for a choice.",
        ],
        [
            "Its two models trained on different data (2.2, 4.1)",
            f"Its MLP trains on {round(0.9 * steps * batch):,} images ({ORIGINAL_STEPS[BASELINE]:,} steps: "
            f"a tenth held out), its CNN on all {steps * batch:,}: more data, which may favour the CNN.",
            "Both models train on the same images, seed by seed.",
        ],
        [
            "Its MLP's train accuracy (2.3)",
            f"Measured on all {steps * batch:,} training images, including the tenth its MLP held out and "
            "never trained on; this lowers the MLP's train accuracy and its gap.",
            f"Train accuracy is measured on the {results['provenance']['split_sizes']['train']:,} images "
            "every model trained on.",
        ],
        [
            '"A fixed number of epochs kept overfitting small" (2.4, 4.2.1)',
            "A fixed number of epochs does not prevent overfitting: it only stops training somewhere. The "
            "validation loss is lowest before the last epoch and rises after it.",
            f"The best epoch is read from the validation loss (section {ref('best-epoch')}).",
        ],
        [
            "Its reference 2 (its part 6)",
            "It credits the book Deep Learning (2016) to LeCun, Bottou, Goodfellow, Bengio and Courville.",
            "The book is by Goodfellow, Bengio and Courville.",
        ],
        [
            "Its 5-epoch MLP gap (5.1)",
            f"{100 * o5[BASELINE]['train_accuracy']:.2f}% − {100 * o5[BASELINE]['test_accuracy']:.2f}% = "
            f"{100 * mlp_gap:.2f} pp, as its text prints ({mlp_gap:.4f}); its table prints "
            f"{100 * tabled:.2f}% and, for CNN − MLP, {100 * (cnn_gap - tabled):.2f} where its numbers give "
            f"{100 * (cnn_gap - mlp_gap):.2f}.",
            f"Tables are computed from the recorded runs; section {ref('original-numbers')} uses "
            f"{100 * mlp_gap:.2f}.",
        ],
        [
            "Its logs (5.1)",
            f"As copied into its 5.1: the 5-epoch MLP log gives the gap, {mlp_gap:.4f}, as every epoch's "
            "validation loss. The 5-epoch CNN log differs from its 4.1 in four metrics (the first epoch's "
            "loss 0.3049 becomes 0.3849) and two epoch times (40 s becomes 48 s). The 10-epoch CNN log's "
            f"validation losses ({loss_10}, …) are the MLP's, digit for digit, under the MLP's model summary "
            "(flatten_2, dense_4, dense_5). Each change of the 5-epoch CNN log replaces one digit (a 0 by an "
            "8, or a 6 by a 5), so it may come from the conversion of its document rather than from its "
            "author.",
            "Histories are recorded per run and plotted from that record.",
        ],
        [
            "Its printed one-hot labels (4.2)",
            "The one-hot labels it prints for the first ten test digits have 11 entries where Keras's "
            "to_categorical gives 10, and the first digit, a 7, has its 1 at index 8.",
            "Labels are integers throughout; no one-hot label is printed.",
        ],
        [
            "Its equations (1.4)",
            "Its softmax divides exp(z_j) by a sum over the same index j; its sparse categorical "
            "cross-entropy, −Σ y_i log ŷ_i, is the form for one-hot labels; its convolution, "
            "Σ_m Σ_n I(i + m, j + n) K(m, n), is a cross-correlation.",
            "The sum runs over another index k; with the integer label y the loss is −log ŷ_y, the same "
            "number; Keras computes the cross-correlation, so only the name is loose.",
        ],
    ]
    # A long table: print may split it between rows (at least three on each page).
    return (
        '<div class="split-table">\n\n'
        + caption(
            results,
            f"The original report's {cite('original')} errors, each with its section",
            label=ERRORS_TABLE,
        )
        + "\n\n"
        + markdown_table(["Error", "What shows it", "What we do"], rows)
        + "\n\n</div>"
    )


#: Where the original report makes each claim of the verdicts table, keyed by the claim as that table words it
#: without its parenthesis: (its section, its words in Korean, in English, and how the claim is read: "stated"
#: in so many words, "implied" by what it says, or "inferred" from a description that compares nothing). The
#: table prints the English (a PDF printed without a Korean font would show the Korean as empty boxes); the
#: Korean is kept so that a test can find each quotation in the original.
CLAIM_SOURCES = {
    "The CNN has fewer parameters than the MLP": (
        "5.2, table; 5.4",
        "파라미터 수: 상대적으로 많음 (MLP), 상대적으로 적음 (CNN)",
        "number of parameters: relatively many (MLP), relatively few (CNN)",
        "stated",
    ),
    "The CNN is more accurate on the test set": (
        "5.1, table and text",
        "에폭 수 변화에도 불구하고 CNN은 주요 지표에서 MLP보다 일관되게 우수한 결과를 보였다",
        "whatever the number of epochs, the CNN was consistently better than the MLP on the main measures",
        "stated, with its test accuracies after 5 and 10 epochs ([the table](#original-numbers-table))",
    ),
    "The CNN overfits less": (
        "5.1, table (train − test accuracy); 4.2.1; 5.3",
        "과적합 문제도 MLP에 비해 현저히 적었습니다",
        "its overfitting was also markedly less than the MLP's",
        "stated",
    ),
    "The CNN's advantage is its architecture, not only its size": (
        "5.1",
        "이미지의 특징 학습에 특화된 CNN 아키텍처가 MLP 대비 우수한 성능과 일반화 능력을 나타냈다",
        "the CNN architecture, specialised in learning image features, performed and generalised better than "
        "the MLP",
        "implied: it credits the architecture and never considers size",
    ),
    "The CNN is more robust to shifted, rotated and rescaled digits": (
        "5.2, table; 2.2 and 4.1 (the MLP is sensitive to position and size)",
        "변형된 입력에 대한 견고성: 제한적 (MLP), 상대적으로 우수 (CNN)",
        "robustness to transformed input: limited (MLP), relatively good (CNN)",
        "stated for transformed input in general; we test three transformations",
    ),
    "The CNN is more robust to noisy digits": (
        "4.1, table",
        "풀링층: 차원 축소 및 노이즈 감소",
        "pooling layer: dimension reduction and noise reduction",
        "inferred: a description of pooling, with no comparison",
    ),
    "The CNN's max pooling reduces noise": (
        "4.1, table",
        "풀링층: 차원 축소 및 노이즈 감소",
        "pooling layer: dimension reduction and noise reduction",
        "stated of pooling, tested on the CNN's max pooling",
    ),
    "The CNN is more accurate on user drawings": (
        "5.2, table",
        "사용자 입력 인식률: 양호 (MLP), 우수 (CNN)",
        "recognition rate on user input: good (MLP), excellent (CNN)",
        "stated, with no drawings counted",
    ),
    "Cropping and padding the drawing helps": (
        "3.2 (MLP); 5.3",
        "사용자 입력을 MNIST 학습 데이터와 더 유사한 형태로 변환하여 인식 정확도를 향상시켰습니다",
        "converting the user's input into a form more like MNIST's training data improved recognition "
        "accuracy",
        "stated for the MLP; for the CNN implied by 5.3, which says it of the model",
    ),
    "The CNN uses the spatial layout of the image": (
        "5.2, table; 2.2",
        "공간적 정보 보존: 없음 (MLP), 있음 (CNN)",
        "preservation of spatial information: none (MLP), yes (CNN)",
        "stated",
    ),
    "The CNN uses its parameters more efficiently": (
        "5.2, table",
        "매개변수 효율성: 낮음 (MLP), 높음 (CNN)",
        "parameter efficiency: low (MLP), high (CNN)",
        "stated",
    ),
    "The CNN trains more stably": (
        "5.3",
        "손실 데이터를 포함한 전반적인 학습 안정성 측면에서도 CNN이 우위를 보였습니다",
        "in overall training stability, including the loss data, the CNN also had the advantage",
        "stated",
    ),
}


#: The anchor of the table of the claims in the original's words.
CLAIMS_TABLE = "original-claims-table"


def claim_source(claim: str) -> tuple[str, str, str, str]:
    """The entry of ``CLAIM_SOURCES`` for a claim as the verdicts table words it (its parenthesis and its
    model or epochs in brackets left out)."""
    key = bare_claim(claim)
    if key not in CLAIM_SOURCES:
        raise KeyError(f"no source in the original report for the claim {claim!r}; add it to CLAIM_SOURCES")
    return CLAIM_SOURCES[key]


def claims_markdown(results: dict, claims: list[str]) -> str:
    """Each claim of the verdicts table (``claims``, in its order; a claim made twice, for two models or two
    snapshots, once) with where the original report makes it, its words in our translation, and how we read
    it."""
    rows, seen, quoted = [], set(), {}
    for claim in claims:
        source = claim_source(claim)
        if source in seen:
            continue
        seen.add(source)
        section, korean, english, reading = source
        if (section, english) in quoted:
            # Two claims read from the same words (the noise claim and the pooling claim): one row, which
            # gives each claim with how we read it.
            row = quoted[(section, english)]
            words = bare_claim(claim)
            row[0] += f"; {words[0].lower()}{words[1:]}"
            row[3] += f"; {reading}"
            continue
        quoted[(section, english)] = [bare_claim(claim), section, f"“{english}”", reading]
        rows.append(quoted[(section, english)])
    return (
        caption(
            results,
            f"The claims of Table 1 where the original report {cite('original')} makes them: its section, "
            "its words in our translation, and how we read them",
            label=CLAIMS_TABLE,
        )
        + "\n\n"
        + markdown_table(["Claim", "Its section", "Its words", "Read as"], rows)
    )
