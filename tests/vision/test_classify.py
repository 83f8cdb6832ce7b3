"""EfficientNet-Lite3 names what real photos show, as the original TFLite model does, the same on every CPU."""

import numpy as np
import pytest
from PIL import Image

from see2sound.errors import ParameterError
from see2sound.runtime import quantized_ops
from see2sound.vision.classify import MODEL, PROBABILITY_STEP, ImageClassifier, labels, model_input
from see2sound.vision.detect.base import model_path, session

CATS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"}
BUSES = {"minibus", "school bus", "trolleybus", "passenger car", "streetcar"}
ROCKETS = {"missile", "projectile", "space shuttle"}
# The original TFLite model (efficientnet_lite3.tflite, run by ai-edge-litert 2.3.0 with its default
# XNNPACK kernels) on the same 280 x 280 input: class index -> output byte (probability x 256).
LITERT = {
    "chelsea.png": {285: 219, 282: 12, 281: 9, 287: 3},  # Egyptian cat, tiger cat, tabby, lynx
    "coffee.png": {967: 218, 968: 14, 504: 5, 505: 1, 868: 1},  # espresso, cup, coffee mug, coffeepot, tray
}


@pytest.fixture(scope="module")
def classifier():
    return ImageClassifier()


@pytest.fixture(scope="module")
def rgb(photos):
    return lambda name: np.asarray(Image.open(photos[name]).convert("RGB"))


@pytest.fixture(scope="module")
def found(classifier, rgb):
    """name -> top-5 for the photos the tests below name."""
    return {name: classifier.classify(rgb(name)) for name in ("chelsea.png", "coffee.png", "bus.jpg", "rocket.jpg")}


def _names(result, n=5):
    return [label for label, _ in result[:n]]


def test_the_vocabulary_is_imagenets_thousand_classes_in_the_models_order():
    names = labels()
    assert len(names) == 1000 and names[0] == "tench" and names[999] == "toilet tissue"
    assert (names[281], names[285], names[654], names[967]) == ("tabby", "Egyptian cat", "minibus", "espresso")
    assert names[134] == names[517] == "crane"  # the bird and the machine


def test_a_cat_is_a_cat(found):
    assert CATS & set(_names(found["chelsea.png"], 3))
    assert found["chelsea.png"][0][1] > 0.5


def test_coffee_is_espresso_in_a_cup(found):
    assert _names(found["coffee.png"], 1) == ["espresso"] and "cup" in _names(found["coffee.png"], 3)


def test_the_bus(found):
    assert BUSES & set(_names(found["bus.jpg"]))
    assert found["bus.jpg"][0][0] in BUSES


def test_the_rocket(found):
    assert found["rocket.jpg"][0][0] in ROCKETS


@pytest.fixture(scope="module")
def probabilities(classifier, rgb):
    return {name: classifier.probabilities(rgb(name)) for name in LITERT}


@pytest.mark.parametrize("name", sorted(LITERT))
def test_the_converted_graph_gives_what_the_tflite_model_gives(probabilities, name):
    p = probabilities[name]
    expected = np.zeros(1000)
    for index, byte in LITERT[name].items():
        expected[index] = byte * PROBABILITY_STEP
    np.testing.assert_allclose(p, expected, atol=3 * PROBABILITY_STEP)  # measured: at most 1 step


def test_the_quantised_graph_runs_float_simulated():
    # An int8 QDQ graph: onnx_session keeps out the fused int8 kernels, which saturate on CPUs without VNNI.
    assert quantized_ops(model_path(MODEL)) == {"QuantizeLinear", "DequantizeLinear"}
    assert session(MODEL).get_session_options().graph_optimization_level.name == "ORT_DISABLE_ALL"


def test_probabilities_come_in_steps_of_1_256_and_the_same_every_time(classifier, rgb, probabilities, found):
    p = probabilities["chelsea.png"]
    assert p.shape == (1000,) and p.dtype == np.float32
    np.testing.assert_array_equal(p, np.round(p / PROBABILITY_STEP) * PROBABILITY_STEP)
    assert 0.8 < p.sum() <= 1.0  # classes under 1/512 round to 0
    np.testing.assert_array_equal(classifier.probabilities(rgb("chelsea.png")), p)
    # four classes are above 0: classify leaves the fifth, at 0, out
    assert found["chelsea.png"] == [(labels()[i], float(p[i])) for i in (285, 282, 281, 287)]


def test_the_whole_picture_is_resized_to_280_square_aspect_not_kept():
    tall = np.zeros((600, 200, 3), np.uint8)
    tall[:200] = 255  # the top third white: a centre crop would lose it, a plain resize squeezes it
    x = model_input(tall)
    assert x.shape == (1, 280, 280, 3) and x.dtype == np.uint8
    assert (x[0, :90] == 255).all() and (x[0, 97:] == 0).all()


def test_a_box_is_its_crop(classifier, rgb, found):
    bus = rgb("bus.jpg")
    h, w = bus.shape[:2]
    whole, crop = classifier.classify_boxes(bus, [(-10, -10, w + 10, h + 10), (0.5, 0.5, 810, 700)], top=3)
    assert whole == found["bus.jpg"][:3]  # clipped to the picture, the box is the picture
    assert crop[0][0] in BUSES


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8),
                                 np.zeros((10, 10, 3), np.float32), np.zeros((0, 10, 3), np.uint8)])
def test_not_an_rgb_picture(classifier, bad):
    with pytest.raises(ParameterError, match="rgb"):
        classifier.classify(bad)


def test_bad_top_and_empty_boxes(classifier):
    picture = np.zeros((20, 30, 3), np.uint8)
    for top in (0, 1001):
        with pytest.raises(ParameterError, match="top"):
            classifier.classify(picture, top=top)
    with pytest.raises(ParameterError, match="boxes"):
        classifier.classify_boxes(picture, [(40, 0, 50, 10)])
