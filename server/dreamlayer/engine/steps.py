"""The gradient of the objective for one patch: eager, or replayed from a CUDA graph captured once per bucket.

A patch may be padded (to its bucket, or to the layer's grid): ``valid`` says how many of its rows and columns
are picture. The padding's feature pixels are masked out of the objective, so the dream maximises the same
energy as on the unpadded picture and the padding leaves no edge.

On CUDA most steps of a dream are bound by kernel launches, not arithmetic (a 4-octave 1024² dream spends most
of its time in the three smaller octaves). A CUDA graph replays a whole forward and backward pass with one
launch. Graphs are kept per network and per shape; a shape runs eagerly for its first ``WARMUP_RUNS`` steps
(cuDNN picks its kernels then, and the side stream's handles are made) and is captured on the next, so a shape
seen once costs what it did before. Graphs share one memory pool; that is safe because each replay's output is
consumed (rolled into a new tensor) before any other replay. A capture that fails leaves that shape eager.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from .devices import autocast
from .models import DreamNet
from .objectives import Objective
from .policy import graph_eligible

log = logging.getLogger("dreamlayer.engine")

Valid = tuple[int, int] | torch.Tensor  # rows and columns of the patch that are picture (a tensor in a graph)
GradientFn = Callable[[torch.Tensor, Valid | None], torch.Tensor]
FeaturesFn = Callable[[torch.Tensor, Sequence[str]], dict[str, torch.Tensor]]
# (gradient function, static patch, static valid, pool, stream) -> replay, which returns the static output.
CaptureFn = Callable[..., Callable[[], torch.Tensor]]

WARMUP_RUNS = 2
MAX_GRAPHS = 96  # the warm-up fills 44 (11 shapes × 4 octaves, some shared); their buffers take ~0.4 GiB


def visible(activation: torch.Tensor, stride: int, valid: Valid) -> torch.Tensor:
    """1 on the feature pixels whose stride cell starts inside the picture, 0 over the padding."""
    height, width = activation.shape[-2:]
    rows = torch.arange(height, device=activation.device) * stride < valid[0]
    cols = torch.arange(width, device=activation.device) * stride < valid[1]
    return (rows[:, None] & cols[None, :]).to(activation.dtype)


def gradient_function(net: DreamNet, objective: Objective, precision: str, features: FeaturesFn | None = None) -> GradientFn:
    """``gradient(patch, valid)``: d objective / d patch, with the padding outside ``valid`` masked out."""
    read = features or net.features
    strides = {layer: net.layer_info(layer).stride for layer in objective.layers}

    def gradient(patch: torch.Tensor, valid: Valid | None) -> torch.Tensor:
        patch = patch.detach().requires_grad_(True)
        with autocast(net.device, precision):
            found = read(patch, objective.layers)
            if valid is not None:
                found = {name: a * visible(a, strides[name], valid) for name, a in found.items()}
            energy = objective(found)
        (grad,) = torch.autograd.grad(energy, patch)
        return grad

    return gradient


def capture_cuda(fn: GradientFn, patch: torch.Tensor, valid: torch.Tensor, pool, stream) -> Callable[[], torch.Tensor]:
    graph = torch.cuda.CUDAGraph()
    # thread_local: the server's encoder and HTTP threads may touch CUDA while this thread captures.
    with torch.cuda.graph(graph, pool=pool, stream=stream, capture_error_mode="thread_local"):
        output = fn(patch, valid)

    def replay() -> torch.Tensor:
        graph.replay()
        return output

    return replay


@dataclass
class _Entry:
    uses: int = 0
    static: tuple[torch.Tensor, torch.Tensor] | None = None
    replay: Callable[[], torch.Tensor] | None = None
    broken: bool = False


@dataclass
class GraphCache:
    """One network's captured gradient steps, by shape and objective; least recently used ones are dropped."""

    capture: CaptureFn = capture_cuda
    cuda: bool = True  # False for a stand-in capture on the CPU (tests): no pool, no side stream
    entries: OrderedDict = field(default_factory=OrderedDict)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._pool = torch.cuda.graph_pool_handle() if self.cuda else None
        self._stream = torch.cuda.Stream() if self.cuda else None

    def run(self, key: tuple, fn: GradientFn, patch: torch.Tensor, valid: tuple[int, int]) -> torch.Tensor:
        entry = self._entry(key)
        if entry.static is None:
            entry.static = (torch.empty_like(patch), torch.zeros(2, dtype=torch.int64, device=patch.device))
        static_patch, static_valid = entry.static
        static_patch.copy_(patch)
        static_valid[0].fill_(valid[0])
        static_valid[1].fill_(valid[1])
        if entry.replay is None and not entry.broken and entry.uses >= WARMUP_RUNS:
            entry.replay = self._capture(key, fn, static_patch, static_valid)
            entry.broken = entry.replay is None
        entry.uses += 1
        if entry.replay is not None:
            return entry.replay()
        return self._on_side_stream(fn, static_patch, static_valid)

    def _entry(self, key: tuple) -> _Entry:
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        while len(self.entries) >= MAX_GRAPHS:
            self.entries.popitem(last=False)
        self.entries[key] = _Entry()
        return self.entries[key]

    def _capture(self, key: tuple, fn: GradientFn, patch: torch.Tensor, valid: torch.Tensor) -> Callable[[], torch.Tensor] | None:
        try:
            return self.capture(fn, patch, valid, self._pool, self._stream)
        except Exception as error:  # noqa: BLE001 - whatever the capture hit, this shape stays eager and correct
            log.warning("CUDA graph capture failed for shape %s (%s: %s); it runs eagerly", key[-1], type(error).__name__, error)
            self.failures.append(f"{key[-1]}: {type(error).__name__}: {error}")
            return None

    def _on_side_stream(self, fn: GradientFn, patch: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Warm-up runs use the capture's stream, as torch.cuda.make_graphed_callables does."""
        if self._stream is None:
            return fn(patch, valid)
        self._stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self._stream):
            grad = fn(patch, valid)
        torch.cuda.current_stream().wait_stream(self._stream)
        grad.record_stream(torch.cuda.current_stream())
        return grad


_CACHES: weakref.WeakKeyDictionary[DreamNet, GraphCache] = weakref.WeakKeyDictionary()


def graph_cache(net: DreamNet) -> GraphCache:
    """The network's graph cache, made on first use (CUDA only)."""
    if net not in _CACHES:
        _CACHES[net] = GraphCache()
    return _CACHES[net]


class GradientStep:
    """What the dream loop calls for each patch: graphs where they apply, the eager step everywhere else."""

    def __init__(self, net: DreamNet, objective: Objective, precision: str, graphs: GraphCache | None = None,
                 features: FeaturesFn | None = None, variant: str = "eager"):
        self._fn = gradient_function(net, objective, precision, features)
        self._graphs = graphs if objective.static_key is not None else None
        self._key = (objective.static_key, precision, variant)

    def __call__(self, patch: torch.Tensor, valid: tuple[int, int]) -> torch.Tensor:
        if self._graphs is not None and graph_eligible(patch.shape):
            return self._graphs.run(self._key + (tuple(patch.shape),), self._fn, patch, valid)
        return self._fn(patch, None if tuple(valid) == tuple(patch.shape[-2:]) else valid)
