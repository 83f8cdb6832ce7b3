"""Running models: which device, which precision, and loading that fails fast.

- ONNX models (the shipped detectors and classifier, the optional tagger)
  run in onnxruntime on the CPU, created by :func:`onnx_session`. A
  quantised QDQ graph (QuantizeLinear / DequantizeLinear around float
  operators, as every shipped int8 model is) runs with graph optimisations
  off, so its quantisation is simulated in float32: fused int8 kernels
  saturate on x86 CPUs without VNNI and would give different answers on
  different machines. A graph of integer operators (QLinearConv,
  ConvInteger, MatMulInteger) would still run int8 kernels: none is shipped,
  and one would need checking on such a CPU.
- Device: CUDA if available, else Apple's MPS, else the CPU; half precision
  on a GPU, full on the CPU.
- Loading: first from the local cache only; if the weights are not there and
  the hub is reachable (checked with a short timeout), downloaded once into
  huggingface_hub's cache; otherwise one clear error naming the model and
  how to fetch it, within seconds, never a hang or a traceback.

Contents
--------
onnx_session, forget_sessions, quantized_ops, require, device, ensure_available, load_model, load_tokenizer, load_pipeline,
release, pixels, IMAGENET_MEAN, IMAGENET_STD
"""

from __future__ import annotations

import importlib
import os
import socket
import threading

import numpy as np

from .errors import MissingExtraError, ModelUnavailableError

#: ImageNet normalisation, which SAM and Depth Anything were trained with.
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
HUB_HOST = "huggingface.co"
REACH_TIMEOUT_S = 3.0
#: ONNX operators that make a graph quantised: with them, onnxruntime's optimiser would fuse int8 kernels.
QUANTIZED_OPS = ("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
                 "QLinearAdd", "QLinearMul", "QGemm", "ConvInteger", "MatMulInteger")
ONNX_THREADS = 2


def quantized_ops(model_path: str | os.PathLike) -> set[str]:
    """The quantised operators an ONNX file's graph uses (empty for a float model).

    Read from the file's bytes, without the ``onnx`` package: a node's
    ``op_type`` is protobuf field 4, stored as tag 0x22, length, name. The
    graph's weights (its initializers, most of the file) are stepped over by
    their lengths, not searched: a cold start reads the four shipped models'
    nodes in milliseconds instead of 70 MB of weights. A file that does not
    parse as expected is searched whole.
    """
    import mmap

    with open(model_path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return set()
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    with data:
        spans = _outside_weights(data) or [(0, len(data))]
        return {op for op in QUANTIZED_OPS for start, end in spans
                if data.find(b"\x22" + bytes([len(op)]) + op.encode(), start, end) != -1}


#: ModelProto.graph; GraphProto.initializer and .sparse_initializer (the weights).
_GRAPH_FIELD, _WEIGHT_FIELDS = 7, (5, 15)


def _outside_weights(data) -> list[tuple[int, int]]:
    """(start, end) byte spans of an ONNX ModelProto that hold everything but the graph's weights;
    empty when the bytes do not walk as protobuf fields."""
    spans: list[tuple[int, int]] = []

    def walk(start: int, end: int, in_graph: bool) -> bool:
        pos = start
        while pos < end:
            field_start = pos
            tag, pos = _varint(data, pos)
            wire = tag & 7
            if wire == 0:
                _, pos = _varint(data, pos)
            elif wire in (1, 5):
                pos += 8 if wire == 1 else 4
            elif wire == 2:
                length, pos = _varint(data, pos)
                if tag >> 3 == _GRAPH_FIELD and not in_graph:
                    if not walk(pos, pos + length, True):
                        return False
                    pos += length
                    continue
                pos += length
                if in_graph and tag >> 3 in _WEIGHT_FIELDS:
                    continue
            else:
                return False
            if pos > end:
                return False
            if spans and spans[-1][1] == field_start:
                spans[-1] = (spans[-1][0], pos)
            else:
                spans.append((field_start, pos))
        return pos == end

    try:
        return spans if walk(0, len(data), False) else []
    except IndexError:
        return []


def _varint(data, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def onnx_session(model_path: str | os.PathLike, *, threads: int = ONNX_THREADS):
    """An onnxruntime session on the CPU whose answers do not depend on the CPU's int8 instructions.

    A quantised graph (:func:`quantized_ops`) runs with
    ``graph_optimization_level = ORT_DISABLE_ALL``: its QuantizeLinear /
    DequantizeLinear pairs stay as they are, so the int8 rounding is
    simulated in float32 instead of being fused into int8 kernels, whose
    intermediate sums overflow on AVX2 / AVX-512 CPUs without VNNI (a cow
    was tagged "Electric shaver" on an AMD EPYC). Float models keep the
    default optimisations.

    One session per file (and its size and time) and thread count is made
    per process and shared: a session's ``run`` may be called from several
    threads, and making one costs 0.05-0.4 s (every render builds its
    detectors anew). :func:`forget_sessions` drops them.
    """
    path = os.path.realpath(model_path)
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns, threads)
    with _SESSIONS_LOCK:
        found = _SESSIONS.get(key)
        if found is None:
            found = _SESSIONS[key] = _new_session(path, threads)
        return found


def forget_sessions() -> None:
    """Drop every shared ONNX session (their memory goes once no component holds them)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


def _new_session(path: str, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if quantized_ops(path):
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


_SESSIONS: dict[tuple, object] = {}
_SESSIONS_LOCK = threading.Lock()


def require(*names: str):
    """The modules ``names`` (default torch and transformers), or an error saying how to install them."""
    try:
        return tuple(importlib.import_module(name) for name in names or ("torch", "transformers"))
    except ImportError:
        raise MissingExtraError("quality mode", "hub") from None


def device() -> tuple[str, object]:
    """(device name, dtype) for inference."""
    torch, _ = require()
    if torch.cuda.is_available():
        return "cuda", torch.float16
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps", torch.float16
    return "cpu", torch.float32


def hub_reachable() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=REACH_TIMEOUT_S):
            return True
    except OSError:
        return False


def load_model(cls, model_id: str):
    """``cls.from_pretrained(model_id)`` on the chosen device; a path works too."""
    _, transformers = require()
    transformers.utils.logging.disable_progress_bar()
    name, dtype = device()
    return _from_pretrained(lambda **kw: cls.from_pretrained(model_id, dtype=dtype, **kw), model_id).to(name).eval()


def load_tokenizer(model_id: str):
    """The tokenizer saved with ``model_id``."""
    _, transformers = require()
    return _from_pretrained(lambda **kw: transformers.AutoTokenizer.from_pretrained(model_id, **kw), model_id)


def load_pipeline(model_id: str):
    """A diffusers pipeline (class read from its ``model_index.json``) on the chosen device."""
    _, diffusers = require("torch", "diffusers")
    name, dtype = device()
    pipe = _from_pretrained(lambda **kw: diffusers.DiffusionPipeline.from_pretrained(model_id, dtype=dtype, **kw),
                            model_id)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(name)


def ensure_available(model_id: str) -> None:
    """Check, without loading it, that ``model_id`` can be loaded: a folder, in the cache, or the hub reachable."""
    if os.path.isdir(model_id):
        return
    _, hub = require("torch", "huggingface_hub")
    try:
        hub.snapshot_download(model_id, local_files_only=True)
        return
    except Exception:
        if not hub_reachable():
            raise _unavailable(model_id) from None


def pixels(rgb, mean, std):
    """uint8 RGB pictures [shape=(..., h, w, 3)] as a normalised float tensor [shape=(n, 3, h, w)]."""
    torch, _ = require()
    x = (np.asarray(rgb, dtype=np.float32) / 255.0 - mean) / std
    x = x.reshape(-1, *x.shape[-3:])
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def release() -> None:
    """Free what dropped models held (the caller drops its references first), on the accelerator too."""
    import gc

    torch, _ = require()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _unavailable(model_id: str, detail: Exception | None = None) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"model {model_id} is not available offline: fetch it once where the hub is reachable "
        f"(huggingface-cli download {model_id}) and keep HF_HOME, or give a local folder"
        + (f" ({detail})" if detail is not None else ""))


def _from_pretrained(load, model_id: str):
    """``load()`` from the local cache; from the hub only when it is reachable; else one clear error."""
    try:
        return load(local_files_only=True)
    except (OSError, ValueError) as local_error:
        if os.path.isdir(model_id) or not hub_reachable():
            raise _unavailable(model_id, local_error if os.path.isdir(model_id) else None) from None
    try:
        return load()
    except Exception as exc:
        raise ModelUnavailableError(f"model {model_id} could not be downloaded ({exc})") from None
