"""Each dream layer's settings, kept in its document, so that Dream again and Vary work on it later, even after
the .kra is saved and opened again.

They live in one document annotation (Krita 5.1 and 6 save annotations in the .kra, and the layers' uniqueIds
with them): a JSON map from a dream layer's uniqueId to what made it, a ``LayerRecord`` (the preset, the settings
that ran with the seed drawn, and the source layer's uniqueId). Layers that are deleted later leave a few hundred bytes behind,
which is cheaper than losing the record of a layer that an undo removes and a redo brings back.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dreamlayer_editor.records import LayerRecord, RecordError

log = logging.getLogger("dreamlayer_krita")
ANNOTATION = "dreamlayer-dreams"
ANNOTATION_DESCRIPTION = "dreamlayer: the settings each dream layer was made with"


def node_id(node) -> str:
    return node.uniqueId().toString()


def remember(document, layer, record: LayerRecord) -> None:
    records = _read(document)
    records[node_id(layer)] = record.to_json()
    document.setAnnotation(ANNOTATION, ANNOTATION_DESCRIPTION, json.dumps(records).encode("utf-8"))


def recall(document, layer) -> LayerRecord | None:
    """What made ``layer``, or None if it is not a dream layer (or its record is unreadable)."""
    stored = _read(document).get(node_id(layer))
    try:
        return LayerRecord.from_json(stored) if stored is not None else None
    except RecordError:
        log.warning("dreamlayer: ignoring the unreadable record of the layer %s: %r", layer.name(), stored)
        return None


def dream_sources(document) -> dict[str, str]:
    """Each dream layer's id, to the id of the layer it was made from."""
    sources = {}
    for layer_id, stored in _read(document).items():
        if isinstance(stored, dict) and isinstance(stored.get("source"), str):
            sources[layer_id] = stored["source"]
    return sources


def find_node(document, unique_id: str):
    """The node with this uniqueId anywhere in the document, or None."""
    pending = list(document.rootNode().childNodes())
    while pending:
        node = pending.pop()
        if node_id(node) == unique_id:
            return node
        pending += node.childNodes()
    return None


def _read(document) -> dict[str, Any]:
    data = bytes(document.annotation(ANNOTATION))
    if not data:
        return {}
    try:
        records = json.loads(data.decode("utf-8"))
    except ValueError:
        log.warning("dreamlayer: the document's dream records are unreadable; starting them afresh")
        return {}
    return records if isinstance(records, dict) else {}
