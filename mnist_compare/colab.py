"""The repository address, and what is built from it: the notebooks' Setup cell and the
"Open in Colab" badges of the README and of each notebook.

``config.REPOSITORY_URL`` is the one place the address is written. After changing it (a fork,
a move), ``python -m mnist_compare colab-links`` rewrites the Setup cells and the badges from it;
the tests fail while they disagree. In a notebook, ``MNIST_COMPARE_REPOSITORY`` overrides the
address without editing anything (the Colab-playing test points it at a local clone).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import config, storage

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
#: A badge line, as written in the README and in each notebook's title cell.
BADGE_PATTERN = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)[ \t]*$", re.M)
SETUP_MARKER = "# Setup: make the `mnist_compare` package importable"
CLONE_FOLDER = "mnist-compare"

SETUP_CELL = """\
# Setup: make the `mnist_compare` package importable, then start the session.
# Locally it finds the repository that holds this notebook (or the package installed with pip).
# In Colab it clones the repository into the working folder and installs what the notebooks need;
# set MNIST_COMPARE_REPOSITORY (os.environ) before this cell to clone another copy, such as your fork.
import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

REPOSITORY_URL = os.environ.get("MNIST_COMPARE_REPOSITORY") or "{url}"
IN_COLAB = "google.colab" in sys.modules
root = next((folder for folder in (Path.cwd(), *Path.cwd().parents, Path.cwd() / "{folder}")
             if (folder / "mnist_compare" / "__init__.py").is_file()), None)
problem = None
if root is None and IN_COLAB:
    step = subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPOSITORY_URL, "{folder}"],
                          capture_output=True, text=True, env=dict(os.environ, GIT_TERMINAL_PROMPT="0"))
    root = Path.cwd() / "{folder}" if step.returncode == 0 else None
    problem = None if root else f"`git clone {{REPOSITORY_URL}}` failed: {{step.stderr.strip()[-300:]}}"
if root is not None and IN_COLAB:
    step = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r", str(root / "requirements.txt")],
                          capture_output=True, text=True)
    problem = None if step.returncode == 0 else f"installing requirements.txt failed: {{step.stderr.strip()[-300:]}}"
if root is not None and str(root) not in sys.path:
    sys.path.insert(0, str(root))
if problem is None and root is None and importlib.util.find_spec("mnist_compare") is None:
    problem = f"the `mnist_compare` package is not importable, and no folder from {{Path.cwd()}} upwards holds it"
if problem and IN_COLAB:
    print(f"Setup stopped: {{problem}}.\\n\\nFix it in one of two ways, then run this cell again:\\n"
          f"1. Clone your copy: run os.environ[\\"MNIST_COMPARE_REPOSITORY\\"] = \\"https://github.com/<you>/<repo>\\" "
          f"in a cell above (the address now is {{REPOSITORY_URL}}), or\\n"
          f"2. Upload the repository: in the Files panel upload it as a zip and unzip it here "
          f"(!unzip -q mnist-compare.zip), so that {{Path.cwd() / '{folder}' / 'mnist_compare'}} exists.")
elif problem:
    print(f"Setup stopped: {{problem}}.\\n\\nFix it in one of two ways, then restart the kernel and run again:\\n"
          f"1. Install the package into this kernel's environment: pip install -e /path/to/mnist-compare, or\\n"
          f"2. Start Jupyter inside the repository (cd mnist-compare && jupyter lab) and open the notebook there.")
if problem:
    warnings.filterwarnings("ignore", message="To exit")
    raise SystemExit("Setup stopped; see the message above.")

from mnist_compare import notebook

context = notebook.setup()"""


def repository_url() -> str:
    """The address notebooks clone: ``MNIST_COMPARE_REPOSITORY`` if set, else ``config.REPOSITORY_URL``."""
    import os

    return os.environ.get(config.ENV_REPOSITORY) or config.REPOSITORY_URL


def setup_cell(url: str | None = None) -> str:
    """The Setup cell every notebook starts with, for the address ``url`` (``config.REPOSITORY_URL``)."""
    return SETUP_CELL.format(url=url or config.REPOSITORY_URL, folder=CLONE_FOLDER)


def github_path(url: str) -> str | None:
    """``owner/name`` of a GitHub address, or ``None`` for any other address."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


def colab_url(notebook: str, url: str | None = None, branch: str = "main") -> str | None:
    """The "Open in Colab" address of ``notebooks/<notebook>`` (GitHub repositories only)."""
    path = github_path(url or config.REPOSITORY_URL)
    if path is None:
        return None
    return f"https://colab.research.google.com/github/{path}/blob/{branch}/notebooks/{notebook}"


def badge(notebook: str, url: str | None = None) -> str:
    """The Markdown badge that opens ``notebook`` in Colab ('' when the address is not on GitHub)."""
    target = colab_url(notebook, url)
    return f"[![Open In Colab]({BADGE_IMAGE})]({target})" if target else ""


def readme_badges(notebooks, url: str | None = None) -> str:
    """The README's list of notebooks, each with its badge."""
    return "\n".join(f"  - `{Path(name).stem}` {badge(Path(name).name, url)}".rstrip() for name in notebooks)


def _with_badge(title: str, line: str) -> str:
    """The title cell with ``line`` (a badge, or nothing) right below its heading."""
    lines = [text for text in title.split("\n") if not BADGE_PATTERN.fullmatch(text)]
    first = next(i for i, text in enumerate(lines) if text.startswith("#"))  # after the heading's label
    heading, rest = "\n".join(lines[: first + 1]), "\n".join(lines[first + 1 :]).lstrip("\n")
    return f"{heading}\n\n{line}\n\n{rest}" if line else f"{heading}\n\n{rest}"


def sync(url: str | None = None, *, root: Path | None = None, write: bool = True) -> list[Path]:
    """Rewrite the notebooks' Setup cells and badges and the README's badges from ``url``.

    Returns the files that differed (and were rewritten when ``write``); outputs are untouched.
    """
    root = Path(root or config.PROJECT_ROOT)
    url = url or config.REPOSITORY_URL
    changed = []
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        cells = nb["cells"]
        title = "".join(cells[0]["source"])
        sources = {0: _with_badge(title, badge(path.name, url))}
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code" and "".join(cell["source"]).startswith(SETUP_MARKER):
                sources[index] = setup_cell(url)
        for index, new in sources.items():
            cells[index]["source"] = new.splitlines(keepends=True)
        updated = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if updated != text:
            changed.append(path)
            if write:
                storage.write_text(path, updated)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- colab-badges:start -->", "<!-- colab-badges:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        updated = f"{head}{start}\n{readme_badges([p.name for p in notebooks], url)}\n{end}{tail}"
        if updated != text:
            changed.append(readme)
            if write:
                storage.write_text(readme, updated)
    return changed
