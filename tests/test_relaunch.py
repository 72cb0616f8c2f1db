"""Running a demo notebook again (Run all twice) leaves one server: the kernel's previous demo gives way."""

import urllib.error
import urllib.request

from mnist_compare import demo, notebook


class Answer:
    """A stand-in reader: the relaunch is about servers, not models."""

    names = ("mlp", "cnn")


def _answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=5).status == 200
    except (urllib.error.URLError, OSError):
        return False


def test_launching_the_demo_again_from_the_same_kernel_closes_the_first(monkeypatch):
    monkeypatch.delenv(notebook.ENV_HEADLESS, raising=False)
    first = demo.build_demo(Answer(), read=lambda *args, **kwargs: None)
    second = demo.build_demo(Answer(), read=lambda *args, **kwargs: None)
    try:
        notebook.show_demo(first)
        first_url, first_port = first.local_url, first.server_port
        assert _answers(first_url)
        notebook.show_demo(second)  # the same cell run again
        assert second.server_port == first_port, "the same port, so the link in the notebook still works"
        assert _answers(second.local_url)
        assert notebook._LIVE_DEMO is second
        assert not first.is_running, "the first app was closed"
    finally:
        assert notebook.close_live_demo() == first_port
        assert notebook.close_live_demo() is None, "nothing left to close"
        first.close()
    assert not _answers(first_url), "no server is left on the port"
