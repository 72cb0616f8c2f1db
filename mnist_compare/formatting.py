"""Formatting shared by every table and sentence the package renders: Markdown tables, plurals, intervals,
percentage points, captions, verdict words. Nothing here reads a particular section of results.json."""

from __future__ import annotations

import re

from . import config
from .metrics import paired_differences, summarize
from .numbering import anchor


def signed(text: str) -> str:
    """'0.89 ± 0.05' → '+0.89 ± 0.05': a difference shows its sign."""
    return text if text.startswith(("-", "+")) else "+" + text


#: A cell that holds a number: a value, a signed difference, a bound ("< 0.001") or an interval ("[0.5, 1]").
_NUMBER_CELL = re.compile(r"^(?:[+−–-]?\d|[<>≤≥]\s?\d|\[)")
#: A cell that holds nothing to align: empty, or a dash for a missing value.
_EMPTY_CELL = {"", "–", "—", "-"}
#: A word of four letters or more: what a cell of numbers and units ("12 of 12", "1.21 (out)") does not hold.
_WORD = re.compile(r"[A-Za-z]{4,}")


def _numeric_column(cells: list[str]) -> bool:
    """Whether a column holds only numbers (its dashes aside): it is set flush right, so that its values line
    up on their last digits."""
    values = [re.sub(r"[*_`]", "", cell).strip() for cell in cells]
    values = [value for value in values if value not in _EMPTY_CELL]
    # A cell of words that opens with a number ("91.05%, 6.41 pp below the MLP") reads as text.
    return bool(values) and all(_NUMBER_CELL.match(value) and not _WORD.search(value) for value in values)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; every column but the first that holds only numbers is set flush right."""
    align = [
        "---:" if index and _numeric_column([row[index] for row in rows if index < len(row)]) else "---"
        for index in range(len(header))
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 seed', '5 seeds' (``many`` for an irregular plural)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def seeds_phrase(results: dict) -> str:
    return plural(len(results["config"]["seeds"]), "seed")


def number_word(count: int) -> str:
    """'one' to 'twenty' in words ('twenty' for 20), larger counts in digits."""
    words = "zero one two three four five six seven eight nine ten".split()
    return words[count] if 0 <= count < len(words) else {20: "twenty"}.get(count, str(count))


def ordinal(number: int) -> str:
    """'1st', '2nd', '3rd', '4th', ..., '11th' to '13th', '21st', '25th'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def join_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'; items that hold a comma themselves are parted by semicolons ('a, x; b, y;
    and c, z'), so that the list still reads as so many items."""
    words = list(words)
    if len(words) == 1:
        return words[0]
    if any("," in word for word in words):
        return "; ".join(words[:-1]) + ("; and " if len(words) > 2 else " and ") + words[-1]
    return ", ".join(words[:-1]) + " and " + words[-1]


def provenance_line(results: dict) -> str:
    """Which commit produced results.json, and whether its working tree had uncommitted changes:
    'commit abcdef1234 with uncommitted changes', 'commit abcdef1234' or 'an unrecorded commit'."""
    git = results.get("provenance", {}).get("git", {}) or {}
    commit = git.get("commit")
    if not commit:
        return "an unrecorded commit"
    dirty = git.get("dirty")
    suffix = {True: " with uncommitted changes", False: "", None: " (uncommitted changes not recorded)"}[
        dirty
    ]
    return f"commit {commit[:10]}{suffix}"


def device_sentence(results: dict) -> str:
    """Which device and libraries produced the numbers, from results.json's provenance."""
    provenance = results["provenance"]
    machine, versions = provenance.get("machine", {}), provenance.get("versions", {})
    device = machine.get("device")
    where = {
        "GPU": "a GPU (plain Keras layers, cuDNN)",
        "CPU": f"a CPU ({machine.get('cpu_count', '?')} cores; the CNN's convolution and pooling as "
        "equivalent matrix products)",
    }.get(device, "an unrecorded device")
    return (
        f"These numbers were produced on {where}, with TensorFlow {versions.get('tensorflow', '?')} and "
        f"Keras {versions.get('keras', '?')}, on {provenance.get('created', '?')[:10]}."
    )


def caption(results: dict, text: str, label: str | None = None) -> str:
    """A table caption, marked FAST when the results come from fast mode. With ``label``, the table can be
    cited: ``[the table](#label)`` in a notebook reads "Table N" in the report."""
    title = f"**{text}** [{config.FAST_LABEL}]" if results.get("fast") else f"**{text}**"
    return (anchor(label) if label else "") + title


def interval(summary: dict, *, percent: bool, digits: int) -> str:
    """'[low, high]' at ``digits`` decimals, or more where an end that is not 0 would print as 0.00 (so an
    interval that just excludes 0 does not read as touching it)."""
    if summary.get("ci_low") is None:
        return "n/a (1 seed)"
    scale = 100.0 if percent else 1.0
    ends = [summary["ci_low"] * scale, summary["ci_high"] * scale]
    shown = []
    for end in ends:
        places = digits
        while end != 0 and abs(end) < 0.5 * 10**-places and places < digits + 3:
            places += 1
        shown.append(f"{end:.{places}f}")
    return f"[{shown[0]}, {shown[1]}]"


def excludes_zero(summary: dict) -> bool | None:
    if summary.get("ci_low") is None:
        return None
    return summary["ci_low"] > 0 or summary["ci_high"] < 0


def intervals_overlap(first: dict, second: dict) -> bool:
    """Whether two summaries' 95% intervals overlap (False when either has none)."""
    if None in (first.get("ci_low"), second.get("ci_low")):
        return False
    return first["ci_low"] <= second["ci_high"] and second["ci_low"] <= first["ci_high"]


def paired(a: dict, b: dict) -> dict:
    """Summary of the per-seed differences a − b of two research summaries (same seeds, same order)."""

    return summarize(paired_differences(a["values"], b["values"]))


def negated(summary: dict) -> dict:
    """The summary of −x from the summary of x (b − a from a − b)."""
    if summary.get("ci_low") is None:
        return {**summary, "mean": -summary["mean"]}
    return {**summary, "mean": -summary["mean"], "ci_low": -summary["ci_high"], "ci_high": -summary["ci_low"]}


def diff_text(summary: dict) -> str:
    """'+0.23 [0.10, 0.36]': a difference in percentage points with its 95% interval when it has one."""
    text = f"{100 * summary['mean']:+.2f}"
    return text + (
        f" {interval(summary, percent=True, digits=2)}" if summary.get("ci_low") is not None else ""
    )


def pp(summary: dict, signed: bool = True) -> str:
    text = f"{100 * summary['mean']:+.2f}" if signed else f"{100 * summary['mean']:.2f}"
    if text.lstrip("+-") == "0.00":
        text = "0.00"  # no sign on a mean that rounds to zero
    if summary.get("ci_low") is not None:
        text += f" {interval(summary, percent=True, digits=2)}"
    return text + " pp"


def seed_mean(summary: dict, seeds, all_seeds) -> float:
    """Mean of a research summary's per-seed values restricted to ``seeds``."""
    values = [v for seed, v in zip(all_seeds, summary["values"]) if seed in seeds]
    return sum(values) / len(values)


def bare_claim(claim: str) -> str:
    """A claim of the verdicts table without the parenthesis that says how it is read or tested."""
    return claim.split(" (")[0]


#: Every verdict word the table uses, and what it means (printed under the table as its legend).
VERDICTS = {
    "supported": "every test is confirmed as the claim predicts",
    "partly supported": "some tests are confirmed for the claim, none against it",
    "contradicted": "a test is confirmed against the claim, none for it",
    "not shown": "no test is confirmed, or the measure cannot decide",
    "mixed": "tests are confirmed both for and against the claim",
    "false": "an exact count shows the opposite",
}


def verdict_word(summary: dict, better_if_positive: bool = True) -> str:
    """'supported' when the 95% interval is on the claimed side of 0, 'contradicted' on the other side."""
    if summary.get("ci_low") is None:
        return "not shown"
    low, high = (
        (summary["ci_low"], summary["ci_high"])
        if better_if_positive
        else (-summary["ci_high"], -summary["ci_low"])
    )
    if low > 0:
        return "supported"
    if high < 0:
        return "contradicted"
    return "not shown"


def combined_verdict(verdicts: list[str]) -> str:
    """One verdict from several measurements' (``verdict_word``): the same word when they agree; some in the
    claim's direction and the rest showing nothing, partly supported; else mixed."""
    if len(set(verdicts)) == 1:
        return verdicts[0]
    if set(verdicts) == {"supported", "not shown"}:
        return "partly supported"
    return "mixed"


def seeds_listed(seeds) -> str:
    seeds = list(seeds)
    return f"{plural(len(seeds), 'seed')} ({', '.join(str(s) for s in seeds)})"


def pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def scientific(value: float, digits: int = 1) -> str:
    """A small or large number as the report prints it: "1.8 × 10⁻⁹" (no "e" notation), with no-break spaces
    so that a line never ends inside it."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}\u00a0×\u00a010{str(int(exponent)).translate(SUPERSCRIPTS)}"
