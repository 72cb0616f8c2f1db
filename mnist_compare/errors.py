"""The failures a user can fix: each carries a one-line message that names the file or setting.

``python -m mnist_compare`` prints them as ``error: <message>`` and exits with code 2
(``--debug`` shows the traceback instead).
"""


class MnistCompareError(Exception):
    """An expected failure; ``str(error)`` is the whole message for the user.

    In a notebook IPython shows it as that message alone, without a traceback (IPython calls an
    exception's ``_render_traceback_`` for the lines to show, when it has one).
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines() or [type(self).__name__]


class ReadOnlyError(MnistCompareError):
    """Something would have to be trained, but this process may only read (a report's notebook kernels)."""


class ResultsFileError(MnistCompareError):
    """``results.json`` is damaged or belongs to another kind of run."""


class SettingError(MnistCompareError):
    """A command-line option or environment variable has a value that cannot work."""


def first_line(error: BaseException, limit: int | None = None, empty: str | None = None) -> str:
    """The first line of ``error``'s message (at most ``limit`` characters), for a one-line message to the
    user; ``empty`` (by default the exception's class name) when the message is blank."""
    text = str(error).strip()
    if not text:
        return empty if empty is not None else type(error).__name__
    return text.splitlines()[0][:limit]
