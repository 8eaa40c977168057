"""What is dreamed: the settings description the knobs are built from, the preset, each knob's value, and the
settings a dream, a zoom or an animation is sent with. Part of the controller (controller.py), which holds the
state (``state``, ``description``) and the ``description_changed`` signal.
"""

from __future__ import annotations

from typing import Any

from dreamlayer_editor.description import Description

from . import state as state_file


class KnobState:
    state: state_file.DockerState
    state_path: str
    description: Description | None
    description_problem: str

    # -- settings ----------------------------------------------------------------------------------------------
    def apply_description(self, description: Description) -> None:
        """Use a (new) description: every stored value is checked against it, missing ones filled from the preset."""
        if description == self.description:
            return
        self.description, self.description_problem = description, ""
        if self.state.preset not in description.presets:
            self.state.preset = description.default_preset
        self.state.values = description.checked(self.state.values, self.state.preset)
        self.state.video_values = description.checked(self.state.video_values, group="video")
        self.save_state()
        self.description_changed.emit(description)

    def choose_preset(self, name: str) -> None:
        """The preset's values go into the knobs: what runs is what the knobs then show."""
        if self.description is None or name not in self.description.presets:
            return
        self.state.preset = name
        self.state.values.update(self.description.preset_values(name))
        self.save_state()

    def set_value(self, name: str, value: Any) -> None:
        self.state.values[name] = value
        self.save_state()

    def set_video_value(self, name: str, value: Any) -> None:
        self.state.video_values[name] = value
        self.save_state()

    def set_variations(self, count: int) -> None:
        self.state.variations = max(1, int(count))
        self.save_state()

    def save_state(self) -> None:
        state_file.save(self.state, self.state_path)

    def dream_params(self) -> dict[str, Any]:
        """Every dream knob's value, and the preset for the layer's name: nothing is left for the preset to fill."""
        settings = self.description.dream if self.description else []
        return {"preset": self.state.preset, **{s["name"]: self.state.values[s["name"]] for s in settings}}

    def zoom_params(self) -> dict[str, Any]:
        """Every dream knob's value but those a zoom names otherwise (its steps_per_frame stands for steps), and
        every zoom knob's."""
        if self.description is None:
            return {"preset": self.state.preset}
        replaced = self.description.zoom_replaces
        params = {name: value for name, value in self.dream_params().items() if name not in replaced}
        return {**params, **{s["name"]: self.state.values[s["name"]] for s in self.description.zoom}}

    def video_params(self) -> dict[str, Any]:
        """Every dream knob's value (the first frame gets their iterations) and every animation knob's."""
        video = self.description.video if self.description else []
        return {**self.dream_params(), **{s["name"]: self.state.video_values[s["name"]] for s in video}}

