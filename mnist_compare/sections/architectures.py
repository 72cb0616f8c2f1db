"""Architectures: every model of the registry built (not trained), described layer by layer and counted:
parameters and multiply-adds of one forward pass, so that tables read them from results.json instead of
building models. The Methods table of every model (its layers, size, training and seeds) is rendered here."""

from __future__ import annotations

import re

from .. import registry
from ..formatting import caption, join_words, markdown_table, number_word
from ..numbering import ref
from .base import Context, controls
from .improved_cnn import IMPROVED_MODEL
from .improved_cnn import KEY as IMPROVED_KEY
from .size_seeds import KEY as SIZE_KEY

#: The section's key in results.json, its version (a new version recomputes it; the others are reused)
#: and the sections it reads (computed before it).
KEY = "architectures"
#: It counts every model of the registry, so a model added or changed there makes it current no more.
VERSION = f"2-{registry.fingerprint()}"
REQUIRES = ()

#: The anchor of the Methods table of every model.
MODELS_TABLE = "models-table"


def describe_layer(layer) -> str | None:
    """One Keras layer in words ("conv 32 3×3, ReLU"); ``None`` for a layer that only reshapes."""
    config = layer.get_config()
    kind = type(layer).__name__
    activation = config.get("activation")
    suffix = {"relu": ", ReLU", "softmax": ", softmax"}.get(activation, "")
    l2 = (config.get("kernel_regularizer") or {}).get("config", {}).get("l2")
    penalty = f", L2 {l2:g}" if l2 else ""
    if kind.endswith("Conv2D"):
        size = "×".join(str(k) for k in config["kernel_size"])
        return f"conv {config['filters']} {size}{suffix}{penalty}"
    if kind.endswith("MaxPooling2D"):
        return "max-pool " + "×".join(str(k) for k in config["pool_size"])
    if kind == "AveragePooling2D":
        return "average-pool " + "×".join(str(k) for k in config["pool_size"])
    if kind == "GlobalAveragePooling2D":
        return "global average pool"
    if kind == "BatchNormalization":
        return "BatchNorm"
    if kind == "Activation":
        return {"relu": "ReLU", "softmax": "softmax"}.get(activation, str(activation))
    if kind == "Dropout":
        return f"dropout {config['rate']:g}"
    if kind == "Dense":
        return f"dense {config['units']}{suffix}{penalty}"
    return None


def model_size(name: str) -> dict:
    """``{"parameters", "forward_macs_per_image", "layers"}`` of the registry model ``name``, built untrained
    (``layers``: its layers in words, in order)."""
    # lazy: models imports Keras (and TensorFlow), which only computing this section needs
    from ..models import build_model, forward_macs

    model = build_model(name)
    layers = [text for text in (describe_layer(layer) for layer in model.layers) if text]
    return {
        "parameters": int(model.count_params()),
        "forward_macs_per_image": forward_macs(model),
        "layers": layers,
    }


def compute(ctx: Context, research: dict) -> dict:
    ctx.log(f"Research: parameters and multiply-adds of the {len(registry.MODELS)} models")
    return {"models": {name: model_size(name) for name in registry.MODELS}}


def forward_macs(results: dict, name: str) -> int:
    """The recorded multiply-adds of one forward pass of ``name`` (one image)."""
    return results["research"][KEY]["models"][name]["forward_macs_per_image"]


def runs_of(results: dict, name: str) -> tuple[list, int | None, str]:
    """The seeds, the epochs and the section of the runs of ``name`` the report reads."""
    research = results["research"]
    if registry.entry(name).in_grid:
        return results["config"]["seeds"], max(results["config"]["snapshot_epochs"]), "every section"
    controls = research.get("architecture_controls", {}).get("models", {})
    if name in controls:
        return controls[name]["seeds"], controls[name]["epochs"], "architecture controls"
    if name in research.get("capacity_control", {}):
        control = research["capacity_control"][name]
        return (
            control.get("seeds", results["config"]["seeds"]),
            max(results["config"]["snapshot_epochs"]),
            ("capacity control"),
        )
    # The ablations: the CNN with average pooling, the parameter-matched MLP with dropout.
    pooling = research.get("pooling", {})
    if name in pooling.get("models", []):
        return pooling["seeds"], pooling["epochs"], "pooling ablation"
    dropout = research.get("dropout_control", {})
    if name == dropout.get("chosen"):
        # The rate validation chose (the other one, on the first seeds only, is in the dropout table).
        return dropout["models"][name]["seeds"], dropout["epochs"], "dropout control"
    if name == IMPROVED_MODEL and IMPROVED_KEY in research:
        return research[IMPROVED_KEY]["seeds"], research[IMPROVED_KEY]["epochs"], "appendix"
    reader = research.get("drawing_reader", {}).get("trained", {})
    if name in reader:
        return [0], reader[name]["epochs"], "the demo"
    return [], None, ""


def compact_layers(layers: list[str]) -> str:
    """The recorded layers as one short line: ReLU and the final softmax left to the caption, BatchNorm and
    dropout joined to the layer they follow
    ("conv 32 3×3 with BN → max pool 2×2 → dense 128 with dropout 0.3 → 10")."""
    out: list[str] = []
    for number, layer in enumerate(layers, start=1):
        layer = (
            layer.replace(", ReLU", "")
            .replace(", softmax", "")
            .replace("max-pool", "max pool")
            .replace("average-pool", "avg pool")
        )
        layer = layer.replace("global average pool", "global avg. pool")
        if layer in ("ReLU", "softmax"):
            continue
        if (layer == "BatchNorm" or layer.startswith("dropout")) and out:
            out[-1] += " with " + layer.replace("BatchNorm", "BN")
            continue
        out.append(layer.replace("dense 10", "10") if number == len(layers) else layer)
    # A weight penalty every weighted layer shares is said once, after the layers.
    penalties = {
        re.search(r", L2 [^ →]+$", layer)[0] if ", L2 " in layer else ""
        for layer in out
        if "pool" not in layer
    }
    if len(penalties) == 1 and (penalty := penalties.pop()):
        return " → ".join(layer.removesuffix(penalty) for layer in out) + f" (L2 {penalty[5:]} on each)"
    return " → ".join(out)


def _size_seeds(results: dict, name: str) -> list:
    """The seeds of ``name`` in the size comparison with many seeds ([] when it is not there)."""
    size = results["research"].get(SIZE_KEY, {})
    return size.get("seeds", []) if name in size.get("models", {}) else []


#: The label of the table of the side models (the appendix's and the demo's), apart from the main table.
SIDE_MODELS_TABLE = "side-models-table"


def models_markdown(results: dict, *, side: bool = False, names: tuple[str, ...] | None = None) -> str:
    """The models of the report, one row each: its layers, parameters, multiply-adds per image, how it is
    trained (beyond Adam and cross-entropy, which all share), its epochs and its seeds. The compared models
    and their controls; with ``side``, the other models (the appendix's and the demo's) instead, or only
    ``names`` among them (the demo's, say)."""
    models = results["research"][KEY]["models"]
    # The compared models first, then the controls; the side models (the demo's, the appendix's) apart.
    # The ablations (average pooling, dropout) sit with the controls.
    found = set(controls(results)) | {
        name for name in models if runs_of(results, name)[2] in ("pooling ablation", "dropout control")
    }
    rank = {name: 0 if name in registry.COMPARED else 1 if name in found else 2 for name in models}
    listed = [name for name in models if (rank[name] == 2) == side and (names is None or name in names)]
    order = sorted(listed, key=rank.get)
    rows = []
    for name in order:
        size = models[name]
        seeds, epochs, _ = runs_of(results, name)
        if not seeds:
            continue
        training = registry.entry(name).training
        how = []
        if training.get("augment_shift"):
            how.append(f"random shifts ±{training['augment_shift']} px")
        if training.get("augment") == "handwriting":
            how.append("handwriting distortions")
        if training.get("cosine_decay"):
            how.append("cosine learning-rate decay")
        rows.append(
            [
                registry.table_label(name),
                compact_layers(size["layers"]) if "layers" in size else "",
                f"{size['parameters']:,}",
                f"{size['forward_macs_per_image']:,}",
                ", ".join(how) or "plain",
                str(epochs),
                # The most seeds any comparison of the report reads (the size comparison's, when it has more).
                str(max(len(seeds), len(_size_seeds(results, name)))),
            ]
        )
    header = ["Model", "Layers", "Parameters", "Multiply-adds per image", "Training", "Epochs", "Seeds"]
    alike = all(row[4] == "plain" for row in rows)
    if alike:
        # Every model trained alike: the caption says how, a column of one word would only repeat it.
        header, rows = header[:4] + header[5:], [row[:4] + row[5:] for row in rows]
    # Epochs and seeds the same for every model: said once in the caption, not in a column of one value.
    same = {
        column: rows[0][header.index(column)]
        for column in ("Epochs", "Seeds")
        if len({row[header.index(column)] for row in rows}) == 1
    }
    for column in same:
        index = header.index(column)
        header, rows = header[:index] + header[index + 1 :], [row[:index] + row[index + 1 :] for row in rows]
    # One model is "trained", several "all are trained"; one seed is "once".
    subject = "trained" if len(rows) == 1 else "all are trained"
    if same.get("Seeds") == "1":
        trained = f"{subject} once" + (f", for {same['Epochs']} epochs" if "Epochs" in same else "")
    else:
        trained = (f"{subject} for {same['Epochs']} epochs" if "Epochs" in same else subject) + (
            f" with {same['Seeds']} seeds each" if "Seeds" in same else ""
        )
    # The columns of one value each, said in the title instead.
    shown = [words for column, words in (("Epochs", "epochs"), ("Seeds", "seeds")) if column not in same]
    # The models whose recipes the recipes section tunes on validation (said in the title, when it has run).
    tuned = results.get("research", {}).get("recipes", {}).get("tuned", {})
    if side:
        title, label = (
            (
                "The side models of the appendix and the demo: "
                if names is None
                else f"The demo's {'model' if len(rows) == 1 else 'models'} beyond the comparison: "
            )
            + join_words(["layers", "size", "training", *shown])
            + (f"; {trained}" if same else ""),
            SIDE_MODELS_TABLE,
        )
    else:
        title, label = (
            "The compared models and their controls: layers (ReLU after each hidden one, softmax at the end) "
            "and size"
            + "".join(
                f", {'the most seeds any comparison uses' if words == 'seeds' else words}" for words in shown
            )
            + f"; {trained}"
            + (
                f" with the original recipe of section {ref('training-and-evaluation')}, without augmentation"
                + (
                    f" (Appendix {ref('recipes')} also tunes the recipes of "
                    f"{number_word(len(tuned))} of them)"
                    if tuned
                    else ""
                )
                if alike
                else f", with Adam (learning rate {results['config']['learning_rate']:g}), cross-entropy and "
                f"batches of {results['config']['batch_size']}"
            ),
            MODELS_TABLE,
        )
    return caption(results, title, label=label) + "\n\n" + markdown_table(header, rows)
