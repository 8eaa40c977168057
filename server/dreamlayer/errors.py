"""Typed errors. Each message is written for an artist: it says what went wrong and what to do."""

from __future__ import annotations


class DreamlayerError(Exception):
    """Base class; ``str(error)`` is the one-line message shown to the user."""

    code = "dreamlayer_error"


class InvalidParameter(DreamlayerError, ValueError):
    code = "invalid_parameter"


class OverBudget(InvalidParameter):
    """A job larger than this server takes: its cap on pixel-steps depends on how it was started."""

    code = "over_budget"


class UnknownModel(DreamlayerError, LookupError):
    code = "unknown_model"


class UnknownLayer(DreamlayerError, LookupError):
    code = "unknown_layer"


class ModelNotDownloaded(DreamlayerError):
    code = "model_not_downloaded"


class ImageReadError(DreamlayerError):
    code = "unreadable_image"


class ImageTooLarge(ImageReadError):
    code = "image_too_large"


class ImageWriteError(DreamlayerError):
    """A result can't be written where or how it was asked for."""

    code = "cannot_write"


class Cancelled(DreamlayerError):
    code = "cancelled"
