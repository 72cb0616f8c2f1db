"""The demo's readers on handwriting that is not MNIST, sent through the demo's own reading of a drawing.

``python benchmarks/handwriting_sets.py [--per-digit N] [--fonts DIR ...]`` reads, with every demo reader
(``demo.read_drawing`` with the default preprocessing, as the page and ``/predict`` do):

- **fonts**: the digits of the handwriting fonts found on this machine (Debian packages such as
  ``fonts-bwht``, ``fonts-breip``, ``fonts-dkg-handwriting``, ``fonts-kristi``...; the list is below, or give
  folders with ``--fonts``), each digit ``N`` times (default 10) at a random size, place, rotation and pen
  width on a 400x400 canvas (``drawings.font_digits``). Outline fonts (the digit's edges, not its strokes)
  are left out;
- **stroke digits**: 2,000 digits drawn with a pen by a program (``strokes.stroke_digits``);
- **other writers**: scikit-learn's 1,797 digits drawn on a canvas (``drawings.other_handwriting``).

Prints each set's accuracy per reader, the fonts one by one and the weakest digits. The fonts are not part
of the repository or of ``results.json`` (the report's sets are made by the package itself); this measures
how the readers do on handwriting styles they have never seen.
"""

import argparse
import os
import subprocess
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: Handwriting font families in Debian (``fc-list`` names); the first file of each family found is used.
FAMILIES = (
    "Because We Build",
    "Because We Connect",
    "Because We Create",
    "Because We Learn",
    "Because We Mentor",
    "Because We Organize",
    "Breip",
    "Comic Neue",
    "Dancing Script",
    "DkgHandwriting",
    "Ecolier_court",
    "Havana",
    "Humor Sans",
    "Kaushan Script",
    "Klee One",
    "Kristi",
    "Leckerli One",
    "Rufscript",
    "Delphine",
    "Steve",
    "Yusei Magic",
)
#: Families that draw a digit's outline rather than its strokes.
OUTLINE_FAMILIES = ("femkeklaver",)


def find_fonts(folders) -> list[Path]:
    if folders:
        return sorted(
            p for folder in folders for p in Path(folder).rglob("*") if p.suffix in (".ttf", ".otf")
        )
    try:
        listing = subprocess.run(
            ["fc-list", ":", "family", "style", "file"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    found = {}  # family -> (0 for its regular style, 1 for another; its file)
    for line in sorted(listing.splitlines()):
        path, _, rest = line.partition(": ")
        families, _, style = rest.partition(":style=")
        rank = 0 if style.split(",")[0] in ("Regular", "Book", "Normal", "Medium") else 1
        for family in families.split(","):
            if family in FAMILIES and (rank, path) < found.get(family, (2, "")):
                found[family] = (rank, path)
    found = {family: Path(path) for family, (_, path) in found.items()}
    return [found[family] for family in FAMILIES if family in found]


def main() -> None:
    import numpy as np

    from mnist_compare import demo, drawings, strokes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=10)
    parser.add_argument("--fonts", nargs="*", help="folders of font files instead of the installed fonts")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    reader = demo.DigitReader.from_saved()
    fonts = find_fonts(args.fonts)
    sets = {}
    if fonts:
        canvases, labels, font_index = drawings.font_digits(fonts, args.per_digit, seed=args.seed)
        sets["fonts"] = (canvases, labels)
    else:
        print(
            "No handwriting fonts found (install e.g. fonts-bwht fonts-breip fonts-kristi): fonts left out."
        )
    sets["stroke digits"] = strokes.stroke_digits(2000, seed=31)
    images, other_labels = drawings.other_handwriting()
    sets["other writers"] = (drawings.user_like_canvases(images, seed=17), other_labels)

    for set_name, (canvases, labels) in sets.items():
        answers = {name: [] for name in reader.names}
        for canvas in canvases:
            reading = demo.read_drawing(reader, canvas, pictures=False)
            for name in reader.names:
                answers[name].append(int(np.argmax(reading.probabilities[name])) if reading.ok else -1)
        answers = {name: np.asarray(values) for name, values in answers.items()}
        line = ", ".join(f"{name} {100 * np.mean(values == labels):.1f}%" for name, values in answers.items())
        print(f"{set_name} ({len(labels):,}): {line}")
        last = reader.names[-1]
        weakest = sorted((float(np.mean(answers[last][labels == d] == d)), d) for d in range(10))[:3]
        print(f"  {last}'s weakest digits: " + ", ".join(f"{d} {100 * a:.1f}%" for a, d in weakest))
        if set_name == "fonts":
            for index, path in enumerate(fonts):
                chosen = font_index == index
                print(
                    f"  {path.stem:28s} "
                    + " ".join(f"{np.mean(v[chosen] == labels[chosen]):.2f}" for v in answers.values())
                )


if __name__ == "__main__":
    main()
