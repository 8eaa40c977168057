"""The DeepDream engine: tensors in, tensors out. It knows nothing of HTTP, files or editors."""

from .devices import pick_device
from .render import Progress, dream
from .models import DEFAULT_MODEL, MODELS, DreamNet, LayerInfo, layer_table, load_model, pull_model

__all__ = [
    "DEFAULT_MODEL", "MODELS", "DreamNet", "LayerInfo", "Progress",
    "dream", "layer_table", "load_model", "pick_device", "pull_model",
]
