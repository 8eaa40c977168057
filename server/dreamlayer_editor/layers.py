"""What a dream layer is called, in both editors: the seed first (it is what tells a layer from its neighbours),
then the preset, "Dream 4711 · deep", kept distinct from its neighbours' names.

Seeds drawn at random are below 100,000 (``DRAWN_SEEDS``), so a name stays short enough to read in
a layer list; a seed typed by hand can be as long as the Seed knob allows.
"""

from __future__ import annotations

# Seeds drawn at random (by the server, or for a batch of variations) are below this: five digits read at a glance
# in a layer's name, and a hundred thousand pictures per setting are plenty to pick from.
DRAWN_SEEDS = 100_000

SEPARATOR = " · "
KIND_WORDS = {"dream": "Dream", "zoom": "Zoom", "animation": "Animation", "video": "Video"}


def layer_label(preset: str, seed: int | None) -> str:
    """What follows the kind in a layer's name: '4711 · deep' (just 'deep' when the seed is not known)."""
    return preset if seed is None else f"{seed}{SEPARATOR}{preset}"


def dream_layer_name(label: str, existing: set[str], kind: str = "dream") -> str:
    """'Dream 4711 · deep' (or 'Zoom 5 · classic', 'Animation 9 · gentle'), then '... #2' and so on, so that the
    seed that made a layer is in its name and layers stay distinguishable."""
    return unique_name(f"{KIND_WORDS[kind]} {label}", existing)


def variations_group_name(preset: str, seeds: list[int | None]) -> str:
    """'Variations 7–10 · deep': the group that holds a batch of variations, each layer named with its seed."""
    return f"Variations {seeds[0]}–{seeds[-1]}{SEPARATOR}{preset}"


def unique_name(base: str, existing: set[str]) -> str:
    """``base``, or 'base #2' and so on if a layer has that name already (GIMP would otherwise add its own '#1')."""
    if base not in existing:
        return base
    n = 2
    while f"{base} #{n}" in existing:
        n += 1
    return f"{base} #{n}"
