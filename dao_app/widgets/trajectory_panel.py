"""Diffusion-trajectory player: the stored frames of one shot, synchronised with the energy plot.

Play / pause, scrub with the slider, choose the speed; the energy plot marks the current step.
Frames are those the job stored ("Frames every k" in the predict form).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from dao_app import animation_export
from dao_app.state.candidates import CandidateRecord
from dao_app.state.jobs import JobOutput
from dao_app.widgets.energy_plot import EnergyPlot
from dao_app.widgets.structure_view import StructureView

#: the plot's text when no candidate with a trajectory is shown
NO_SELECTION_TEXT = "No sampling trajectory: pick a candidate of a prediction job."


def no_trajectory_reason(record: CandidateRecord) -> str:
    """Why a candidate without a stored sampling trajectory has none (relaxed copy, library
    structure of relax-and-rank, imported file, or a job whose frames are not kept)."""
    relaxed_from = record.extra.get("relaxed_from")
    if relaxed_from is not None or "relaxed (" in record.source:
        origin = f" from #{relaxed_from}" if relaxed_from is not None else ""
        return (
            f"No sampling trajectory: this structure was relaxed{origin}, not sampled.\n"
            "Select the candidate it was relaxed from to see how that one was sampled."
        )
    if record.ranking is not None and record.shot is None:
        return (
            f"No sampling trajectory: this structure comes from the library "
            f"({record.ranking.origin}), not from sampling."
        )
    if record.job_id is None:
        return (
            f"No sampling trajectory: this structure was imported ({record.source}), not sampled."
        )
    return "No sampling trajectory is stored for this job (opened from an older session?)."


def _plot_title(output: JobOutput) -> str:
    title = f"Job {output.job_id}: {output.formula}"
    return f"{title}\n{output.energy_label}" if output.energy_label else title


class TrajectoryPanel(QWidget):
    """``show_shot(output, shot)`` loads frames; ``frame_shown(step)`` follows the slider."""

    frame_shown = Signal(int)
    export_failed = Signal(object)
    export_message = Signal(str)  # one status-bar line: where the animation went, or why not

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output: JobOutput | None = None
        self.shot = 1
        self.view = StructureView(
            "Diffusion trajectory",
            empty_text=(
                "No trajectory yet: predict with 'Frames every' > 0, then pick a candidate."
            ),
        )
        self.view.png_button.clicked.connect(self._export_animation)
        self.view.png_button.setText("GIF…")
        self.view.png_button.setToolTip("Export the animation (GIF; MP4 when ffmpeg is installed)")
        self.plot = EnergyPlot()
        self.shot_box = QComboBox(toolTip="Which shot of the job to play")
        self.shot_box.activated.connect(self._shot_chosen)
        self.play_button = QPushButton(toolTip="Play / pause (Ctrl+Space)")
        self.play_button.setCheckable(True)
        self._show_play_state(False)
        self.play_button.toggled.connect(self.set_playing)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(self.show_frame)
        self.step_label = QLabel("step – / –")
        self.fps = QSpinBox(minimum=1, maximum=30, value=8, suffix=" fps", toolTip="Playback speed")
        self.fps.valueChanged.connect(lambda v: self.timer.setInterval(int(1000 / v)))
        self.follow = QCheckBox(
            "Auto-zoom",
            checked=True,
            toolTip="Fit the camera to every frame (the cell grows while denoising)",
        )
        self.timer = QTimer(self, interval=125)
        self.timer.timeout.connect(self._advance)

        controls = QHBoxLayout()
        for w in (self.shot_box, self.play_button):
            controls.addWidget(w)
        controls.addWidget(self.slider, 1)
        for w in (self.step_label, self.fps, self.follow):
            controls.addWidget(w)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.view)
        split.addWidget(self.plot)
        split.setSizes([500, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addLayout(controls)
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.shot_box, self.play_button, self.slider, self.view.png_button):
            w.setEnabled(on)

    def show_shot(self, output: JobOutput | None, shot: int = 1, reason: str = "") -> None:
        """Load ``output`` (None clears; ``reason`` then says why there is no trajectory) and
        show its ``shot`` (1-based) from the first frame."""
        self.set_playing(False)
        self.output, self.shot = output, shot
        self.shot_box.clear()
        if output is None:
            self.view.set_crystal(None)
            self.plot.set_trajectories([], 0, empty_text=reason or NO_SELECTION_TEXT)
            self._set_enabled(False)
            self.step_label.setText("step – / –")
            return
        for s in range(1, output.shots + 1):
            self.shot_box.addItem(f"Job {output.job_id} · shot {s}", s)
        self.shot_box.setCurrentIndex(max(0, shot - 1))
        self.plot.set_trajectories(
            output.energy_trajectories,
            output.total_steps,
            shot,
            _plot_title(output),
        )
        has_frames = bool(output.frames)
        self._set_enabled(has_frames)
        self.shot_box.setEnabled(output.shots > 0)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(output.frames) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        if has_frames:
            self.show_frame(0)
        else:
            self.view.set_crystal(None)

    @Slot(int)
    def _shot_chosen(self, row: int) -> None:
        if self.output is not None:
            frame = self.slider.value()
            self.shot = row + 1
            self.plot.set_trajectories(
                self.output.energy_trajectories,
                self.output.total_steps,
                self.shot,
                _plot_title(self.output),
            )
            self.show_frame(frame)

    @Slot(int)
    def show_frame(self, index: int) -> None:
        """Show stored frame ``index`` of the current shot and mark its step on the plot."""
        if self.output is None or not self.output.frames:
            return
        index = max(0, min(index, len(self.output.frames) - 1))
        step, crystals = self.output.frames[index]
        crystal = crystals[min(self.shot, len(crystals)) - 1]
        self.view.set_crystal(
            crystal,
            f"Shot {self.shot}, step {step}",
            reset_camera=self.follow.isChecked() or index == 0,
        )
        self.step_label.setText(f"step {step} / {self.output.total_steps}")
        self.plot.set_marker(step)
        if self.slider.value() != index:
            self.slider.setValue(index)
        self.frame_shown.emit(step)

    @Slot(bool)
    def set_playing(self, on: bool) -> None:
        on = on and self.output is not None and bool(self.output.frames)
        if self.play_button.isChecked() != on:
            self.play_button.setChecked(on)
        self._show_play_state(on)
        if on:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self.timer.start()
        else:
            self.timer.stop()

    def _show_play_state(self, playing: bool) -> None:
        """Show "Pause" or "Play" with the style's media icon (fonts often lack the ⏸ glyph)."""
        pixmap = QStyle.StandardPixmap
        icon = pixmap.SP_MediaPause if playing else pixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")

    @Slot()
    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.set_playing(False)
        else:
            self.slider.setValue(self.slider.value() + 1)

    def render_frames(self) -> list:
        """Images of every stored frame of the current shot (needs 3-D rendering)."""
        images = []
        for i in range(self.slider.maximum() + 1):
            self.show_frame(i)
            image = self.view.image()
            if image is None:
                raise RuntimeError("3-D rendering is not available here, so frames cannot be drawn")
            images.append(image)
        return images

    @Slot()
    def _export_animation(self) -> None:
        filters = ";;".join(f"{s[1:].upper()} (*{s})" for s in animation_export.available_formats())
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", "trajectory.gif", filters)
        if path:
            self.export_animation(path)

    def export_animation(self, path: str | Path) -> Path | None:
        """Render all frames and write a GIF/MP4; failures go to ``export_failed``."""
        self.set_playing(False)
        try:
            written = animation_export.write_animation(self.render_frames(), path, self.fps.value())
        except (RuntimeError, ValueError, OSError) as exc:
            self.export_message.emit(f"Animation not saved to {path}: {exc}")
            self.export_failed.emit(exc)
            return None
        frames = self.slider.maximum() + 1
        self.export_message.emit(
            f"Saved animation to {written} ({frames} frame{'s' if frames != 1 else ''}, "
            f"{self.fps.value()} fps)"
        )
        return written
