"""Two remedies tested: the same shift augmentation for both models (does augmentation, not convolution,
close the robustness gap to shifts?) and temperature scaling (the calibration the demo now shows).
Every difference is CNN − MLP, in percentage points."""

from __future__ import annotations

from .. import metrics
from ..metrics import format_mean_std
from .common import _paired, _pp, caption, markdown_table, plural

#: Shifts shown in the table (those the section measured).
SHIFT_COLUMNS = (0, 1, 2, 3, 4, 6, 8)
_VARIANT_TEXT = {"plain": "plain", "augmented": "shift-augmented"}


def _moves(before: float, after: float, what: str, unit: str = "%", digits: int = 1) -> str:
    """'lifts the MLP from 57.4% to 80.1%' (or lowers, or leaves it at)."""
    a, b = f"{before:.{digits}f}", f"{after:.{digits}f}"
    if a == b:
        return f"leaves {what} at {a}{unit}"
    return f"{'lifts' if after > before else 'lowers'} {what} from {a}{unit} to {b}{unit}"


def _half_width(accuracies, images: int) -> float:
    """The largest 95% sampling half-width (Wilson, points) of one accuracy among ``accuracies`` on ``images``."""
    widths = []
    for accuracy in accuracies:
        low, high = metrics.binomial_interval(round(accuracy * images), images)
        widths.append(100 * (high - low) / 2)
    return max(widths)


def shift_augmentation_sentence(results: dict, level: int | None = None) -> str:
    """What the same shift augmentation does to both models at ``level`` pixels of shift (default: the
    augmentation's own size), to the CNN − MLP gap there, and to the unshifted test accuracy, stated only as
    strongly as one seed's numbers allow."""
    section = results["research"]["shift_augmentation"]
    level = section["pixels"] if level is None else level
    i = section["levels"].index(level)
    models, gap = section["models"], section["gap"]
    acc = {(name, v): 100 * models[name][v]["shift"][i]["mean"] for name in ("mlp", "cnn") for v in _VARIANT_TEXT}
    before, after = 100 * gap["plain"]["shift"][i]["mean"], 100 * gap["augmented"]["shift"][i]["mean"]
    seeds = len(section["seeds"])
    half = _half_width([value / 100 for value in acc.values()], section["images"])
    text = (f"At a {level}-pixel shift, training with shifts of up to {section['pixels']} pixels "
            f"{_moves(acc[('mlp', 'plain')], acc[('mlp', 'augmented')], 'the MLP')} and "
            f"{_moves(acc[('cnn', 'plain')], acc[('cnn', 'augmented')], 'the CNN')}; the CNN − MLP gap goes from "
            f"{before:+.1f} to {after:+.1f} points")
    if seeds > 1:
        text += (f" (paired by seed: {_pp(gap['plain']['shift'][i])} plain, {_pp(gap['augmented']['shift'][i])} "
                 "augmented)")
    lead = 100 * gap["augmented"]["shift"][section["levels"].index(0)]["mean"] if 0 in section["levels"] else None
    if before <= half:
        verdict = "there was no clear CNN lead to close at this shift"
    elif abs(after) <= half:
        verdict = (f"augmentation closes it to within the sampling error of one accuracy on {section['images']:,} "
                   f"images (±{half:.1f} points)")
    elif after < -half:
        verdict = f"augmentation reverses it: the augmented MLP is {-after:.1f} points ahead of the augmented CNN"
    elif lead is not None and abs(after - lead) <= half:
        verdict = (f"augmentation removes the part of the gap that the shift caused (within the sampling error of "
                   f"one accuracy on {section['images']:,} images, ±{half:.1f} points); what is left is about the "
                   f"augmented CNN's lead on unshifted images ({lead:+.1f} points)")
    elif after < before - half:
        verdict = f"augmentation shrinks it by {100 * (1 - after / before):.0f}% but does not close it"
    else:
        verdict = (f"augmentation does not shrink it by more than the sampling error of one accuracy on "
                   f"{section['images']:,} images (±{half:.1f} points)")
    versus = acc[("mlp", "augmented")] - acc[("cnn", "plain")]
    text += (f": {verdict}. The augmented MLP is {abs(versus):.1f} points "
             f"{'above' if versus > 0 else 'below'} the plain CNN there"
             + (", so augmentation alone buys the MLP more shift robustness than convolution did"
                if versus > half else
                ", so augmentation alone does not give the MLP the robustness convolution gave the CNN"
                if versus < -half else ", level within the sampling error") + ".")
    beyond = [level for level in section["levels"] if level > section["pixels"] and level >= 2 * section["pixels"]]
    if beyond:
        far = section["levels"].index(beyond[0])
        plain_far, aug_far = 100 * gap["plain"]["shift"][far]["mean"], 100 * gap["augmented"]["shift"][far]["mean"]
        change = ("wider" if aug_far > plain_far + half else "narrower" if aug_far < plain_far - half
                  else "about the same")
        text += (f" Beyond the shifts trained on, at {beyond[0]} pixels, the gap is {aug_far:+.1f} points with "
                 f"augmentation against {plain_far:+.1f} without ({change}).")
    clean = {(name, v): 100 * models[name][v]["test_accuracy"]["mean"] for name in ("mlp", "cnn")
             for v in _VARIANT_TEXT}
    text += (f" On the {section['test_images']:,} unshifted test images augmentation "
             f"{_moves(clean[('mlp', 'plain')], clean[('mlp', 'augmented')], 'the MLP', digits=2)} and "
             f"{_moves(clean[('cnn', 'plain')], clean[('cnn', 'augmented')], 'the CNN', digits=2)}.")
    if seeds == 1:
        text += (f" One seed ({section['seeds'][0]}) and {section['epochs']} epochs for all four models: no spread over "
                 "seeds is measured, so differences of a point or two are not established.")
    return text


def shift_augmentation_markdown(results: dict) -> str:
    """Unshifted test accuracy and accuracy under shifts of the four models (MLP and CNN, plain and
    shift-augmented), the CNN − MLP gaps, then the sentence."""
    section = results["research"]["shift_augmentation"]
    levels = section["levels"]
    picks = [level for level in SHIFT_COLUMNS if level in levels]
    rows = []
    for name, title in (("mlp", "MLP"), ("cnn", "CNN")):
        for variant, text in _VARIANT_TEXT.items():
            item = section["models"][name][variant]
            rows.append([f"{title}, {text}", format_mean_std(item["test_accuracy"], percent=True)]
                        + [f"{100 * item['shift'][levels.index(level)]['mean']:.1f}" for level in picks])
    for variant, text in _VARIANT_TEXT.items():
        gap = section["gap"][variant]
        rows.append([f"CNN − MLP, {text} (points)", f"{100 * gap['test_accuracy']['mean']:+.2f}"]
                    + [f"{100 * gap['shift'][levels.index(level)]['mean']:+.1f}" for level in picks])
    seeds = plural(len(section["seeds"]), "seed")
    return (caption(results, f"The same shift augmentation (up to {section['pixels']} pixels in x and y) for both "
                             f"models: {section['epochs']} epochs, {seeds}, against the grid's {section['epochs']}-epoch "
                             f"snapshots; accuracy (%) on {section['test_images']:,} unshifted test images and on "
                             f"{section['images']:,} test images shifted in a random direction") + "\n\n"
            + markdown_table(["Model", "Unshifted test"] + [f"{level} px" for level in picks], rows) + "\n\n"
            + shift_augmentation_sentence(results))


def temperature_sentence(results: dict) -> str:
    """The fitted temperatures and what they do to the test set's calibration, CNN − MLP paired by seed."""
    section = results["research"]["temperature_scaling"]
    models = section["models"]
    t = {name: models[name]["temperature"]["mean"] for name in ("mlp", "cnn")}
    seeds = plural(len(section["seeds"]), "seed")
    softer = [name.upper() for name, value in t.items() if value > 1]
    meaning = ("T > 1 for both: both models were over-confident, and dividing their logits by T softens them"
               if len(softer) == 2 else
               "T < 1 for both: both models were under-confident, and dividing their logits by T sharpens them"
               if not softer else
               f"T > 1 only for the {softer[0]}: only its probabilities are softened")
    ece = {name: (100 * models[name]["before"]["ece"]["mean"], 100 * models[name]["after"]["ece"]["mean"])
           for name in ("mlp", "cnn")}
    sure = {name: (models[name]["before"]["confident_mistakes"]["mean"],
                   models[name]["after"]["confident_mistakes"]["mean"]) for name in ("mlp", "cnn")}
    nll = {name: (models[name]["before"]["nll"]["mean"], models[name]["after"]["nll"]["mean"])
           for name in ("mlp", "cnn")}
    over = f"mean over {seeds}" if len(section["seeds"]) > 1 else f"seed {section['seeds'][0]}"
    text = (f"Fitted on the {section['validation_images']:,} validation images ({over}), the temperature "
            f"is T = {t['mlp']:.2f} for the MLP and {t['cnn']:.2f} for the CNN ({meaning}). On the "
            f"{section['test_images']:,} test images it "
            f"{_moves(*ece['mlp'], 'the expected calibration error of the MLP', digits=2)} and "
            f"{_moves(*ece['cnn'], 'that of the CNN', digits=2)}; it "
            f"{_moves(*sure['mlp'], 'the MLP’s mistakes made with at least 99% confidence', unit='')} "
            f"and {_moves(*sure['cnn'], 'the CNN’s', unit='')} per run; the test NLL goes from "
            f"{nll['mlp'][0]:.4f} to {nll['mlp'][1]:.4f} (MLP) and from {nll['cnn'][0]:.4f} to {nll['cnn'][1]:.4f} "
            "(CNN). Accuracy is unchanged: dividing the logits by one positive number never changes the arg-max.")
    if len(section["seeds"]) > 1:
        text += (" After scaling, CNN − MLP paired by seed: ECE "
                 f"{_pp(_paired(models['cnn']['after']['ece'], models['mlp']['after']['ece']))}, mistakes at "
                 f"≥ 99% confidence {_count(_paired(models['cnn']['after']['confident_mistakes'], models['mlp']['after']['confident_mistakes']))}.")
    else:
        text += (f" After scaling, CNN − MLP: ECE {ece['cnn'][1] - ece['mlp'][1]:+.2f} pp, mistakes at ≥ 99% "
                 f"confidence {sure['cnn'][1] - sure['mlp'][1]:+.0f} (one seed: no interval).")
    if section.get("files"):
        text += " The demo shows the seed-0 models' probabilities scaled by their temperatures."
    return text


def _count(summary: dict) -> str:
    text = f"{summary['mean']:+.1f}"
    if summary.get("ci_low") is not None:
        text += f" [{summary['ci_low']:.1f}, {summary['ci_high']:.1f}]"
    return text


def temperature_scaling_markdown(results: dict) -> str:
    """Per model: the temperature, and the test ECE, confident mistakes, NLL and accuracy before and after."""
    section = results["research"]["temperature_scaling"]
    rows = []
    for name, title in (("mlp", "MLP"), ("cnn", "CNN")):
        item = section["models"][name]
        before, after = item["before"], item["after"]
        rows.append([title, format_mean_std(item["temperature"], digits=3),
                     format_mean_std(before["ece"], percent=True), format_mean_std(after["ece"], percent=True),
                     f"{before['confident_mistakes']['mean']:.1f}", f"{after['confident_mistakes']['mean']:.1f}",
                     f"{before['nll']['mean']:.4f}", f"{after['nll']['mean']:.4f}",
                     f"{100 * before['accuracy']['mean']:.2f} → {100 * after['accuracy']['mean']:.2f}"])
    header = ["Model", "T", "ECE before (%)", "ECE after (%)", "≥ 99% mistakes before", "after", "NLL before",
              "NLL after", "Test accuracy (%)"]
    seeds = (f"mean ± std over {plural(len(section['seeds']), 'seed')}" if len(section["seeds"]) > 1
             else f"seed {section['seeds'][0]}")
    return (caption(results, f"Temperature scaling after {section['epochs']} epochs: T fitted on the validation split "
                             f"({seeds}), test set of {section['test_images']:,} ({section['bins']} confidence bins)")
            + "\n\n"
            + markdown_table(header, rows) + "\n\n" + temperature_sentence(results))
