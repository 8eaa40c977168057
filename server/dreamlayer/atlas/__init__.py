"""The channel atlas: one picture per channel of a layer, made by the engine (``engine.feature_vis``), kept on disk
(``cache``), made batch by batch (``making``) and laid out as a labelled contact sheet (``sheet``)."""

from .cache import AtlasCache, default_cache_folder
from .making import make_thumbnails, missing_channels
from .sheet import contact_sheet

__all__ = ["AtlasCache", "contact_sheet", "default_cache_folder", "make_thumbnails", "missing_channels"]
