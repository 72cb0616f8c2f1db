"""Inside the models: translation equivariance measured, the digits only one model gets right, and why the
global-average-pooling CNN collapses under Gaussian noise (``research`` sections ``equivariance``,
``disagreements`` and ``gap_noise``, computed in ``mechanisms``). Every sentence says only what the numbers show."""

from __future__ import annotations

import numpy as np

from ..mechanisms import GAP_NOISE_LABELS, move_text
from ..metrics import format_mean_std
from .common import caption, join_words, markdown_table, plural


def _seeds_text(seeds) -> str:
    seeds = list(seeds)
    return f"{plural(len(seeds), 'seed')} ({', '.join(str(s) for s in seeds)})"


def _similarity(summary: dict) -> str:
    """'0.728 ± 0.010' over seeds (three decimals), or the value alone for one seed."""
    return format_mean_std(summary, digits=3)


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


# --- equivariance --------------------------------------------------------------------------------------

def _shift_text(section: dict) -> str:
    return move_text(section["shift"]["rows"], section["shift"]["columns"])


def equivariance_markdown(results: dict) -> str:
    """The similarity of each representation of a moved digit to that of the original, beside the similarity
    of another test digit of the same class (the reference), and what the numbers show."""
    section = results["research"]["equivariance"]
    shapes = section["shapes"]
    conv = section["cnn_conv"]
    h, w, c = shapes["cnn_conv"]
    rows = [
        ["Pixels (input, 28x28)", "not undone", f"{section['pixels']['shifted']:.3f}",
         f"{section['pixels']['same_class']:.3f}"],
        [f"CNN convolution maps ({h}x{w}x{c})", "undone, on the part both maps cover", _similarity(conv["overlap"]),
         _similarity(conv["same_class"])],
        [f"CNN convolution maps ({h}x{w}x{c})", "undone, whole map, zeros moved in", _similarity(conv["zero_filled"]),
         _similarity(conv["same_class"])],
        [f"CNN convolution maps ({h}x{w}x{c})", "not undone", _similarity(conv["unaligned"]),
         _similarity(conv["same_class"])],
        *[[f"{name.upper()} hidden layer ({shapes[f'{name}_hidden']} units)", "nothing to undo",
           _similarity(section[f"{name}_hidden"]["shifted"]), _similarity(section[f"{name}_hidden"]["same_class"])]
          for name in ("cnn", "mlp")],
    ]
    table = markdown_table(["Representation", "The move", "Moved digit vs original",
                            "Another digit of the same class vs original"], rows)
    predictions = markdown_table(
        ["Model", "Accuracy, original (%)", "Accuracy, moved (%)", "Same answer for both (%)"],
        [[name.upper(), format_mean_std(section["accuracy"][name]["original"], percent=True, digits=1),
          format_mean_std(section["accuracy"][name]["shifted"], percent=True, digits=1),
          format_mean_std(section["same_prediction"][name], percent=True, digits=1)] for name in ("mlp", "cnn")])
    title = (f"Translation equivariance: {section['images']:,} test digits moved {_shift_text(section)} (whole "
             f"pixels, zeros fill in), cosine similarity, {_seeds_text(section['seeds'])}, {section['epochs']} epochs")
    return (caption(results, title) + "\n\n" + table + "\n\n"
            + caption(results, "What the models answer for the moved digits") + "\n\n" + predictions + "\n\n"
            + equivariance_sentence(results))


def equivariance_sentence(results: dict) -> str:
    """What the equivariance numbers show, in words."""
    section = results["research"]["equivariance"]
    conv, seeds = section["cnn_conv"], len(section["seeds"])
    overlap, lowest = conv["overlap"]["mean"], min(conv["overlap_min"]["values"])
    text = (f"Each similarity is the cosine of one digit's activations before and after the move, averaged over "
            f"{section['images']:,} test digits ({plural(seeds, 'seed')}; the move keeps "
            f"{_pct(section['ink_kept'])} of the ink in the frame). ")
    if lowest > 0.999:
        text += (f"The CNN's convolution is translation-equivariant, as its structure implies: moving the digit moves "
                 f"its feature maps, and once the move is undone the maps are the same (similarity {overlap:.4f}, "
                 f"lowest single digit {lowest:.4f}, on the part of the map both cover; "
                 f"{conv['zero_filled']['mean']:.4f} over the whole map, where the moved-in strip is the layer's "
                 f"response to blank input). ")
    else:
        text += (f"On the part of the map both cover, the CNN's convolution maps of the moved digit match the moved "
                 f"maps of the original with similarity {overlap:.4f} (lowest digit {lowest:.4f}): less than exact. ")
    text += (f"Compared where they are, without undoing the move, the maps' similarity is "
             f"{conv['unaligned']['mean']:.3f}, below that of another digit of the same class "
             f"({conv['same_class']['mean']:.3f}). ")
    mlp, cnn = section["mlp_hidden"], section["cnn_hidden"]
    below = [name for name, item in (("MLP", mlp), ("CNN", cnn))
             if item["shifted"]["mean"] < item["same_class"]["mean"]]
    text += (f"A hidden layer has no positions to undo a move in: the MLP's hidden activations of the moved digit have "
             f"similarity {mlp['shifted']['mean']:.3f} with the original's, the CNN's dense hidden layer "
             f"{cnn['shifted']['mean']:.3f}. ")
    if below:
        text += (f"For {'both hidden layers' if len(below) == 2 else 'the ' + below[0] + chr(39) + 's'} that is below "
                 f"the similarity of another writer's digit of the same class "
                 f"({mlp['same_class']['mean']:.3f} and {cnn['same_class']['mean']:.3f}): to "
                 f"{'these layers' if len(below) == 2 else 'that layer'} a move of {_shift_text(section)} changes a "
                 "digit more than another writer does. ")
    same = section["same_prediction"]
    text += (f"Neither model's answer is invariant: the CNN gives the same answer for {_pct(same['cnn']['mean'])} of "
             f"the moved digits, the MLP for {_pct(same['mlp']['mean'])}. The convolution is equivariant; the CNN's "
             "dense head, like the MLP, reads features at fixed places.")
    return text


# --- disagreements -------------------------------------------------------------------------------------

def _count(summary: dict) -> str:
    """'140.2 ± 11.3' test digits over seeds, or '140' for one seed."""
    return f"{summary['mean']:.0f}" if summary.get("std") is None else format_mean_std(summary, digits=1)


def disagreements_markdown(results: dict) -> str:
    """Per seed, the test digits only the CNN gets right and only the MLP gets right (McNemar's discordant pairs),
    by true digit, with a sentence."""
    section = results["research"]["disagreements"]
    counts = section["counts"]
    rows = [[section["directions"][key], _count(counts[key]), ", ".join(str(int(v)) for v in counts[key]["values"])]
            for key in ("cnn_only", "mlp_only")]
    rows.append(["both wrong", _count(counts["both_wrong"]),
                 ", ".join(str(int(v)) for v in counts["both_wrong"]["values"])])
    rows.append(["CNN-only − MLP-only", _count(counts["net"]),
                 ", ".join(f"{int(v):+d}" for v in counts["net"]["values"])])
    table = markdown_table(["Test digits", "Mean ± std per seed", "Per seed (" + ", ".join(
        str(s) for s in section["seeds"]) + ")"], rows)
    by_label = markdown_table(["Digit"] + [str(d) for d in range(10)],
                              [[section["directions"][key] + " (all seeds)"]
                               + [str(v) for v in section["by_label"][key]] for key in ("cnn_only", "mlp_only")])
    title = (f"Test digits only one model gets right after {section['epochs']} epochs, out of "
             f"{section['test_images']:,}, {_seeds_text(section['seeds'])}")
    return (caption(results, title) + "\n\n" + table + "\n\n" + caption(results, "The same digits by true label")
            + "\n\n" + by_label + "\n\n" + disagreements_sentence(results))


def disagreements_sentence(results: dict) -> str:
    section = results["research"]["disagreements"]
    counts = section["counts"]
    cnn, mlp = counts["cnn_only"], counts["mlp_only"]
    ratio = cnn["mean"] / mlp["mean"] if mlp["mean"] else float("inf")
    more = all(c > m for c, m in zip(cnn["values"], mlp["values"]))
    text = (f"Of the {section['test_images']:,} test digits, the CNN alone is right on {_count(cnn)} per seed, the MLP "
            f"alone on {_count(mlp)}")
    text += (f" ({ratio:.1f} times as many on average" + ("; more in every seed)" if more and len(cnn["values"]) > 1
                                                         else ")")
             if np.isfinite(ratio) else "")
    text += f", while both are wrong on {_count(counts['both_wrong'])}. "
    checked = section.get("checked_against_comparisons") or []
    if checked:
        text += ("These are the discordant pairs of McNemar's test above (only CNN right, only MLP right), recounted "
                 f"from the saved predictions of {plural(len(checked), 'seed')}. ")
    labels = section["by_label"]
    top = int(np.argmax(labels["cnn_only"]))
    text += (f"The digit the CNN alone gets right most often is {top} ({labels['cnn_only'][top]} over all seeds); the "
             f"gallery shows seed {section['gallery']['seed']}'s cases where the wrong model was most confident.")
    return text


# --- the GAP CNN under noise ---------------------------------------------------------------------------

def _level_key(section: dict, level=None) -> str:
    return str(section["main_level"] if level is None else level)


def _modal(predicted: list[list[int]]) -> tuple[int, float]:
    """The class predicted most often over all seeds, and its share of the answers."""
    pooled = np.sum(np.asarray(predicted), axis=0)
    top = int(np.argmax(pooled))
    return top, float(pooled[top] / pooled.sum())


GAP_CONDITION_LABELS = GAP_NOISE_LABELS


def gap_noise_markdown(results: dict) -> str:
    """The GAP CNN under each noise condition at the main level (with what it predicts, and the accuracy once the
    common offset of its pooled features is removed), the grid's CNN and MLP beside it, the curve conditions at
    every level, and the explanation."""
    section = results["research"]["gap_noise"]
    main = section["noise"][_level_key(section)]
    contrast = section["contrast"]["accuracy"]
    level = section["main_level"]
    rows = [["clean", format_mean_std(section["clean"]["accuracy"], percent=True, digits=1),
             "{} ({})".format(*_modal_text(section["clean"]["predicted"])), "", _pct(contrast["clean"]["cnn"]),
             _pct(contrast["clean"]["mlp"])]]
    for name, item in main.items():
        rows.append([GAP_CONDITION_LABELS.get(name, name), format_mean_std(item["accuracy"], percent=True, digits=1),
                     "{} ({})".format(*_modal_text(item["predicted"])),
                     format_mean_std(item["offset"]["accuracy_removed"], percent=True, digits=1),
                     _pct(contrast[name]["cnn"]), _pct(contrast[name]["mlp"])])
    seeds = _seeds_text(section["seeds"])
    table = markdown_table(
        ["Test images", f"GAP CNN accuracy (%), {len(section['seeds'])} seeds", "GAP CNN's most frequent answer",
         "GAP CNN, pooled-feature offset removed (%)", f"CNN seed {section['contrast']['seed']}",
         f"MLP seed {section['contrast']['seed']}"], rows)
    curve_rows = []
    for name in section["curve_conditions"]:
        curve_rows.append([GAP_CONDITION_LABELS.get(name, name)] + [
            format_mean_std(section["noise"][str(lv)][name]["accuracy"], percent=True, digits=1)
            for lv in section["levels"]])
    curve = markdown_table(["GAP CNN accuracy (%)"] + [f"noise std {lv}" for lv in section["levels"]], curve_rows)
    title = (f"The GAP CNN ({seeds}, {section['epochs']} epochs) under noise of std {level} on {section['images']:,} "
             f"test images (background mean of the clipped noise m = "
             f"{section['background_mean'][_level_key(section)]:.3f}); "
             f"the grid's CNN and MLP ({section['contrast']['epochs']} epochs) beside it")
    return (caption(results, title) + "\n\n" + table + "\n\n" + caption(results, "The GAP CNN at every noise level")
            + "\n\n" + curve + "\n\n" + gap_noise_explanation(results))


def _modal_text(predicted) -> tuple[str, str]:
    top, share = _modal(predicted)
    return str(top), _pct(share, 0)


def gap_noise_explanation(results: dict) -> str:
    """One paragraph: why the GAP CNN collapses under noise, stating only what the conditions show."""
    section = results["research"]["gap_noise"]
    main = section["noise"][_level_key(section)]
    level = section["main_level"]
    acc = {name: item["accuracy"]["mean"] for name, item in main.items()}
    clean = section["clean"]["accuracy"]["mean"]
    chance = 0.1
    top, share = _modal(main["clipped"]["predicted"])
    collapsed = acc["clipped"] < chance + 0.15
    text = (f"At noise std {level} the GAP CNN falls from {_pct(clean)} to {_pct(acc['clipped'])}"
            + (" (chance is 10%)" if collapsed else "") + f" and answers {top} for {_pct(share, 0)} of the images. ")
    # Where the damaging noise is.
    ink, background = acc["ink_only"], acc["background_only"]
    if clean - ink < 0.25 * (clean - acc["clipped"]) and background < acc["clipped"] + 0.5 * (clean - acc["clipped"]):
        text += (f"It is the noise on the background that does it: on the background alone it gives "
                 f"{_pct(background)}, on the ink alone {_pct(ink)}. ")
    else:
        text += f"Noise on the background alone gives {_pct(background)}, on the ink alone {_pct(ink)}. "
    # The clipping hypothesis.
    mean = section["background_mean"][_level_key(section)]
    unclipped = acc["unclipped"]
    constant = acc["constant_background"]
    damage = clean - acc["clipped"]
    constant_part = (clean - constant) / damage if damage > 0 else 0.0
    if unclipped < acc["clipped"] + 0.25 * damage:
        text += (f"Clipping is not needed for the collapse: zero-mean noise that is not clipped gives "
                 f"{_pct(unclipped)}, so the positive mean that clipping gives the background (m = {mean:.3f}) is not "
                 f"the whole story. ")
    else:
        text += (f"Without clipping (zero-mean noise) the GAP CNN keeps {_pct(unclipped)}: the positive mean clipping "
                 f"gives the background (m = {mean:.3f}) accounts for much of the damage. ")
    text += (f"A background raised to m without any noise costs {100 * (clean - constant):.1f} points "
             f"({_pct(constant_part, 0)} of the noise's damage), and the clipped noise with m subtracted still gives "
             f"{_pct(acc['clipped_centred'])}: the pixels' mean shift explains "
             f"{'part' if constant_part < 0.75 else 'most'} of it. ")
    # The mechanism in the pooled features.
    offset = main["clipped"]["offset"]
    towards = sorted(set(offset["toward"]))
    text += (f"What the noise does to the {section['receptive_field']['layer']} features the head averages is nearly "
             f"one offset common to every image ({_pct(offset['constant_share']['mean'], 0)} of the change; it points "
             f"the head to {join_words([str(t) for t in towards])}); subtracting that offset, estimated on the other "
             f"half of the images, brings the accuracy back to {_pct(offset['accuracy_removed']['mean'])}. ")
    zero_mean = main["unclipped"]["offset"]
    text += (f"Zero-mean noise moves them the same way ({_pct(zero_mean['constant_share']['mean'], 0)} common, toward "
             f"{join_words([str(t) for t in sorted(set(zero_mean['toward']))])}, offset length "
             f"{zero_mean['norm']['mean']:.1f} against {offset['norm']['mean']:.1f} for the clipped noise), as "
             "expected: a ReLU filter's response to noise has a positive mean whether or not the noise has, and the "
             "global average adds it up over the whole map into about the same shift for every image. ")
    field = section["receptive_field"]
    blank_share = offset["blank_share"]["mean"]
    positions_share = field["blank_positions"] / field["positions"]
    where = (f"Only {field['blank_positions']:.0f} of the {field['positions']} positions the head averages "
             f"({_pct(positions_share, 0)}) see no ink in their {field['size']}x{field['size']}-pixel receptive field; "
             f"they make {_pct(blank_share, 0)} of the offset")
    if blank_share < 0.5:
        text += (f"{where}, so the offset does not come from the blank margin alone; as noise on the ink alone "
                 f"makes an offset of length only {main['ink_only']['offset']['norm']['mean']:.1f}, most of it comes "
                 "from the background pixels inside the windows that also see the digit. ")
    else:
        text += f"{where}: most of the offset comes from the blank margin. "
    contrast = section["contrast"]["accuracy"]
    text += (f"The grid's CNN (dense head, seed {section['contrast']['seed']}) keeps "
             f"{_pct(contrast['clipped']['cnn'])} under the clipped noise and "
             f"{_pct(contrast['constant_background']['cnn'])} with the raised background")
    if contrast["unclipped"]["cnn"] < contrast["clipped"]["cnn"] - 0.1:
        text += (f", but zero-mean noise that is not clipped costs it too ({_pct(contrast['unclipped']['cnn'])}): "
                 "its dense head ignores a brighter background, not noise as such")
    text += ". "
    median = acc["median"]
    median_clean = section["median_clean"]["accuracy"]["mean"]
    verdict = "a partial fix" if median < clean - 0.1 else "a fix"
    text += (f"A 3x3 median filter before the GAP CNN is {verdict}: {_pct(median)} under the clipped noise "
             f"(from {_pct(acc['clipped'])}), at a cost of {100 * (clean - median_clean):.1f} points on clean digits.")
    return text
