"""The DeepDream engine: tensors in, tensors out. It knows nothing of HTTP, files or editors."""

from .devices import pick_device
from .render import Progress, dream
from .models import DreamNet, load_model, pull_model
from .policy import EngineOptions

__all__ = ["DreamNet", "EngineOptions", "Progress", "dream", "load_model", "pick_device", "pull_model"]
