"""The report's numbered references and ``cite``: one entry per work the report cites."""

from __future__ import annotations

import re

#: The numbered references, by the key ``cite`` takes; their order is their numbering, which is the order
#: in which the report first cites them (tests/test_paper_text.py checks it). A new reference goes where the
#: report first cites it, and the numbers the notebooks' Markdown cites after it move up by one.
REFERENCE_ENTRIES = {
    "original": "Mun, J. (2025, May 25). *Implementation and performance comparison of deep learning models "
    "for MNIST handwritten digit classification: MLP- and CNN-based approaches compared* (translated). "
    "Unpublished course report in Korean, Python Programming, Dept. of Computer Engineering.",
    "holm1979": "Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian "
    "Journal of Statistics*, 6(2), 65-70.",
    "lecun1998": "LeCun, Y., Bottou, L., Bengio, Y., & Haffner, P. (1998). Gradient-based learning applied "
    "to document "
    "recognition. *Proceedings of the IEEE*, 86(11), 2278-2324.",
    "simard2003": "Simard, P. Y., Steinkraus, D., & Platt, J. C. (2003). Best practices for convolutional "
    "neural "
    "networks applied to visual document analysis. *ICDAR 2003*, 958-963.",
    "mnist": "LeCun, Y., Cortes, C., & Burges, C. J. C. (1998). *The MNIST database of handwritten digits*. "
    "http://yann.lecun.com/exdb/mnist/",
    "tensorflow": "Abadi, M., et al. (2016). TensorFlow: a system for large-scale machine learning. *OSDI "
    "2016*, 265-283. https://www.tensorflow.org",
    "keras": "Chollet, F., et al. (2023). Keras 3. https://keras.io",
    "kingma2015": "Kingma, D. P., & Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR 2015*, "
    "arXiv:1412.6980.",
    "numpy": "Harris, C. R., et al. (2020). Array programming with NumPy. *Nature*, 585, 357-362.",
    "scipy": "Virtanen, P., et al. (2020). SciPy 1.0: fundamental algorithms for scientific computing in "
    "Python. *Nature Methods*, 17, 261-272.",
    "sklearn": "Pedregosa, F., et al. (2011). Scikit-learn: machine learning in Python. *JMLR*, 12, "
    "2825-2830.",
    "matplotlib": "Hunter, J. D. (2007). Matplotlib: a 2D graphics environment. *Computing in Science & "
    "Engineering*, 9(3), 90-95.",
    "pillow": "Clark, A., et al. (2015). Pillow, the Python Imaging Library fork. https://python-pillow.org",
    "gradio": "Abid, A., et al. (2019). Gradio: hassle-free sharing and testing of ML models in the wild. "
    "arXiv:1906.02569.",
    "mcnemar1947": "McNemar, Q. (1947). Note on the sampling error of the difference between correlated "
    "proportions "
    "or percentages. *Psychometrika*, 12(2), 153-157.",
    "goodfellow2013": "Goodfellow, I. J., Mirza, M., Xiao, D., Courville, A., & Bengio, Y. (2013). An "
    "empirical "
    "investigation of catastrophic forgetting in gradient-based neural networks. arXiv:1312.6211 "
    "(permuted MNIST).",
    "alpaydin1998": "Alpaydin, E., & Kaynak, C. (1998). Optical recognition of handwritten digits. UCI "
    "Machine "
    "Learning Repository (scikit-learn's 8×8 digits).",
    "bouthillier2021": "Bouthillier, X., et al. (2021). Accounting for variance in machine learning "
    "benchmarks. *Proceedings of Machine Learning and Systems*, 3, 747-769.",
    "picard2021": "Picard, D. (2021). torch.manual_seed(3407) is all you need: on the influence of random "
    "seeds in deep learning architectures for computer vision. arXiv:2109.08203.",
    "dror2018": "Dror, R., Baumer, G., Shlomov, S., & Reichart, R. (2018). The hitchhiker's guide to "
    "testing statistical significance in natural language processing. *ACL 2018*, 1383-1392.",
    "textbook": "Cheon, I.-G., Park, D.-G., & Kang, Y.-M. (2023). *Python and data science, learned by "
    "doing* (in "
    "Korean). Saengneung Publishing.",
    "zeiler2014": "Zeiler, M. D., & Fergus, R. (2014). Visualizing and understanding convolutional networks. "
    "*ECCV 2014*, Lecture Notes in Computer Science 8689, 818-833.",
    "guo2017": "Guo, C., Pleiss, G., Sun, Y., & Weinberger, K. Q. (2017). On calibration of modern neural "
    "networks. "
    "*ICML 2017*, PMLR 70, 1321-1330.",
}


REFERENCES = list(REFERENCE_ENTRIES.values())


def cite(*keys: str) -> str:
    """The bracketed number of each reference by its key in ``REFERENCE_ENTRIES``: cite("mcnemar1947") ->
    '[6]',
    cite("guo2017", "mcnemar1947") -> '[16, 9]'."""
    order = list(REFERENCE_ENTRIES)
    missing = [key for key in keys if key not in REFERENCE_ENTRIES]
    if missing or not keys:
        raise KeyError(f"no reference {missing or '(none given)'}; the keys are {', '.join(order)}")
    return "[" + ", ".join(str(order.index(key) + 1) for key in keys) + "]"


#: A citation: bracketed reference numbers after a word, a closing mark or "et al." ("MNIST [3, 4]",
#: "report's [1]", "Simard et al. [4]"),
#: not an interval after a number ("71% [64, 79]") nor a range after "to" ("scaled to [0, 1]").
CITATION = re.compile(r"(?:(?<=[A-Za-z'’)])|(?<=al\.))(?<!\bto) \[(\d+(?:, \d+)*)\]")


def _numbers(match: re.Match) -> list[int] | None:
    """The reference numbers of a ``CITATION`` match, or None when one is no reference's (an interval)."""
    numbers = [int(number) for number in match.group(1).split(", ")]
    return numbers if all(1 <= number <= len(REFERENCE_ENTRIES) for number in numbers) else None


def cited_numbers(text: str) -> list[int]:
    """Every reference number ``text`` cites, in order (a number cited twice is listed twice)."""
    return [number for match in CITATION.finditer(text) for number in _numbers(match) or []]


def without_citations(text: str) -> str:
    """``text`` without its citations' numbers, the words kept (for a page that lists no references)."""
    return CITATION.sub(lambda match: "" if _numbers(match) else match.group(0), text)


def references_markdown() -> str:
    """The numbered list, in a block the print style sets a size smaller than the text."""
    entries = "\n".join(f"{number}. {text}" for number, text in enumerate(REFERENCES, start=1))
    return f'<div class="report-references">\n\n{entries}\n\n</div>'
