"""The demo's event handlers called directly, without a server or a browser: known canvas values (blank,
a drawn digit, cleared, damaged) in, the page's outputs and the visitor's state out; labels kept and
undone."""

import inspect
import types
import typing

import numpy as np
import pytest

from mnist_compare import canvas, collection, data, demo
from tests.conftest import SMALL_MNIST

#: The digit of the test set drawn on the canvas: a 5 that both shipped models read at 99%.
DIGIT_INDEX, DIGIT = 2, 5
#: The page's outputs: the status, "what the models look at", the steps, then one Label per model.
PAGE = 3 + len(demo.MODEL_NAMES)


@pytest.fixture(scope="module")
def reader():
    return demo.DigitReader.from_saved(fast=False)


@pytest.fixture(scope="module")
def drawn():
    """The canvas's value for a drawn 5: the PNG ``data:`` URL the page sends."""
    (_, _), (x_test, y_test) = data.load_mnist(SMALL_MNIST)
    assert y_test[DIGIT_INDEX] == DIGIT
    return canvas.encode(demo.sample_canvas(x_test[DIGIT_INDEX])["composite"])


class Calls:
    """``demo.read_drawing`` that records how it was called."""

    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return demo.read_drawing(*args, **kwargs)


def skipped(value) -> bool:
    import gradio as gr

    return value == gr.skip()


@pytest.mark.parametrize("cleared", [None, ""])
def test_a_cleared_canvas_empties_the_page_and_forgets_the_drawing(reader, cleared):
    read = Calls()
    outputs = demo.respond_canvas(reader, read, cleared, demo.DEFAULT_METHOD, {"drawing": "d1"})
    assert outputs == [demo.EMPTY_MESSAGE, None, None] + [None] * len(demo.MODEL_NAMES) + [None, None, ""]
    assert read.calls == [], "nothing is read"


def test_a_blank_canvas_is_a_message_and_starts_a_drawing_without_answers(reader):
    blank = canvas.encode(np.full((400, 400, 4), 255, np.uint8))
    outputs = demo.respond_canvas(reader, demo.read_drawing, blank, "bbox", None)
    message, looks, steps, *labels = outputs[:PAGE]
    assert message.startswith("Draw a digit first") and looks is None and steps is None
    assert labels == [None] * len(demo.MODEL_NAMES)
    state, said, note = outputs[PAGE:]
    assert state["canvas"] == blank and state["method"] == "bbox" and state["answers"] == {}
    assert len(state["drawing"]) == 32 and said is None and note == ""


def test_a_drawn_digit_is_answered_first_and_its_pictures_follow(reader, drawn):
    read = Calls()
    outputs = demo.respond_canvas(reader, read, drawn, demo.DEFAULT_METHOD, None)
    assert len(read.calls) == 1
    args, kwargs = read.calls[0]
    assert args[0] is reader and args[2] == demo.DEFAULT_METHOD
    assert kwargs == {"pictures": False, "polarity": "dark_on_light"}, "the answers alone, at once"
    message, looks, steps, *labels = outputs[:PAGE]
    for name in demo.MODEL_NAMES:
        assert f"{demo.MODEL_TITLES[name]} reads **{DIGIT}**" in message
    assert skipped(looks) and skipped(steps), "the last pictures stay until the new ones come"
    for label in labels:
        assert set(label) == {str(d) for d in range(10)} and max(label, key=label.get) == str(DIGIT)
        assert sum(label.values()) == pytest.approx(1.0, abs=1e-4)
    state, said, note = outputs[PAGE:]
    assert said is None and note == "", "a new drawing starts without a label"
    assert set(state["answers"]) == set(demo.MODEL_NAMES)
    for digit, confidence in state["answers"].values():
        assert digit == DIGIT and 0.9 < confidence <= 1
    pictures = Calls()
    looks, steps = demo.respond_pictures(reader, pictures, state)
    assert pictures.calls[0][1] == {"explain": True, "polarity": "dark_on_light"}
    assert looks.ndim == 3 and looks.shape[2] == 3 and steps.ndim == 2 and steps.dtype == np.uint8
    assert all(skipped(value) for value in demo.respond_pictures(reader, pictures, None)), "no drawing"
    blank = {**state, "answers": {}}
    assert all(skipped(value) for value in demo.respond_pictures(reader, pictures, blank)), "nothing read"


def test_a_changed_drawing_keeps_its_id_and_its_label(reader, drawn):
    first = demo.respond_canvas(reader, demo.read_drawing, drawn, demo.DEFAULT_METHOD, None)[PAGE]
    outputs = demo.respond_canvas(reader, demo.read_drawing, drawn, "naive", first)
    state, said, note = outputs[PAGE:]
    assert state["drawing"] == first["drawing"] and state["method"] == "naive"
    assert skipped(said) and skipped(note), "the visitor's label stays as it is"


@pytest.mark.parametrize(
    "value, words",
    [(canvas.PNG_PREFIX + "!!!", "damaged"), (12, "not a drawing"), ("data:text/html,<b>", "not a PNG")],
)
def test_a_damaged_canvas_value_is_a_message(reader, value, words):
    outputs = demo.respond_canvas(reader, demo.read_drawing, value, demo.DEFAULT_METHOD, None)
    assert words in outputs[0] and outputs[1:PAGE] == [None] * (PAGE - 1)
    assert outputs[PAGE]["answers"] == {}


@pytest.mark.parametrize("value", [None, {"background": None, "layers": [], "composite": None}])
def test_an_empty_upload_gets_the_invitation(reader, value):
    read = Calls()
    assert demo.respond_upload(reader, read, value, "bbox") == demo.empty_outputs(reader.names)
    assert read.calls == []


def test_an_upload_is_read_and_an_unreadable_one_is_its_message(reader, drawn):
    outputs = demo.respond_upload(reader, demo.read_drawing, canvas.decode(drawn), "bbox")
    assert f"CNN reads **{DIGIT}**" in outputs[0] and len(outputs) == PAGE
    assert outputs[1].ndim == 3 and outputs[2].ndim == 2, "the API answers with the pictures in one call"
    unreadable = {demo.UNREADABLE_KEY: "The image is 13000x13000 pixels"}
    assert demo.respond_upload(reader, demo.read_drawing, unreadable, "bbox") == [
        "The image is 13000x13000 pixels"
    ] + [None] * (PAGE - 1)


def test_labels_are_kept_and_undone_for_the_visitors_session(reader, drawn, tmp_path):
    store = collection.Collection(tmp_path / "d.sqlite")
    state = demo.respond_canvas(reader, demo.read_drawing, drawn, demo.DEFAULT_METHOD, None)[PAGE]
    assert demo.save_label(None, "5", state, "abc") == ("Drawings are not kept by this demo.", None)
    assert demo.save_label(store, "5", None, "abc") == ("Draw a digit first, then say which one it is.", None)
    message, said = demo.save_label(store, "5", state, "abc")
    assert message.startswith("Kept as a **5**") and said == "5"
    (row,) = collection.read_rows(store.path)
    assert row["drawing_id"] == state["drawing"] and row["label"] == 5
    assert row["session"] == collection.session_key("abc") and row["cnn_digit"] == DIGIT
    assert demo.forget_label(store, state, "another session") == ("There is no label to undo.", None)
    assert demo.forget_label(store, state, "abc") == ("Label undone: this drawing is not kept.", None)
    assert demo.forget_label(store, None, "abc") == ("There is no label to undo.", None)
    assert collection.read_rows(store.path) == []
    store.close()


def test_gradio_gives_the_label_handlers_the_request(tmp_path):
    import gradio as gr

    demo.LabelEvents.accept_requests(gr.Request)
    events = demo.LabelEvents(None)
    for handler in (events.save_label, events.forget_label):
        assert typing.get_type_hints(handler)["request"] is gr.Request
    request = types.SimpleNamespace(session_hash="abc")
    assert events.save_label("3", {"drawing": "d1"}, request) == ("Drawings are not kept by this demo.", None)
    assert events.forget_label(None, request) == ("There is no label to undo.", None)


def test_a_bound_handler_takes_the_page_inputs_only(reader):
    bound = demo.bind(demo.respond_canvas, reader, demo.read_drawing, description="One reading.")
    assert list(inspect.signature(bound).parameters) == ["text", "method", "state"]
    assert bound.__name__ == "respond_canvas" and bound.__doc__ == "One reading."
    assert bound(None, demo.DEFAULT_METHOD, None) == demo.empty_outputs(reader.names) + [None, None, ""]
    assert demo.bind(demo.respond_upload, reader, demo.read_drawing).__doc__ == ""
