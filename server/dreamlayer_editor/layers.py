"""What a dream layer is called, in both editors: the preset and seed that made it, kept distinct from its
neighbours' names.
"""

from __future__ import annotations


def layer_label(preset: str, seed: int | None) -> str:
    """What a dream layer's name says in brackets: 'deep, seed 4711'."""
    return preset if seed is None else f"{preset}, seed {seed}"


def dream_layer_name(label: str, existing: set[str]) -> str:
    """'Dream (deep, seed 4711)', then 'Dream (deep, seed 4711) #2' and so on, so that the seed that made a layer
    is in its name and layers stay distinguishable."""
    return unique_name(f"Dream ({label})", existing)


def variations_group_name(preset: str, seeds: list[int | None]) -> str:
    """'Variations (deep, seeds 7 to 10)': the group that holds a batch of variations, each layer named with its seed."""
    return f"Variations ({preset}, seeds {seeds[0]} to {seeds[-1]})"


def unique_name(base: str, existing: set[str]) -> str:
    """``base``, or 'base #2' and so on if a layer has that name already (GIMP would otherwise add its own '#1')."""
    if base not in existing:
        return base
    n = 2
    while f"{base} #{n}" in existing:
        n += 1
    return f"{base} #{n}"
