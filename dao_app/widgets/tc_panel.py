"""The T_c tab: the selected candidates' (and the reference's) ensemble T_c, their spread and
the five member values, with a plain-language note on what the model is."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from dao_app.state.candidates import CandidateRecord
from dao_app.state.tc import ASSUMPTION, EXTRAPOLATION_MARK, TcStatus, model_description, tc_text
from dao_app.widgets.tc_plot import TcPlot
from dao_engine import api

MAX_ROWS = 12  # rows in the plot and the table; more selected candidates are summarised


def _members(tc: api.TcPrediction) -> str:
    return ", ".join(tc_text(v) for v in tc.members)


def _row(name: str, tc: api.TcPrediction, domain: api.TcDomain | None = None) -> str:
    if domain is None:
        where = "?"
    elif domain.extrapolation:
        where = f"<b>{EXTRAPOLATION_MARK}</b> ({domain.distance:.2f})"
    else:
        where = f"in range ({domain.distance:.2f})"
    return (
        f"<tr><td>{escape(name)}</td><td align=right><b>{tc_text(tc.tc)}</b></td>"
        f"<td>{tc_text(tc.tc_low)}–{tc_text(tc.tc_high)}</td><td>{_members(tc)}</td>"
        f"<td>{where}</td></tr>"
    )


class TcPanel(QWidget):
    """``show_tc(records, reference_tc, status)`` fills the plot and the texts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = TcPlot()
        self.summary = QLabel(textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.note = QLabel(wordWrap=True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.note.setStyleSheet("font-style: italic;")
        self.assumption = QLabel(ASSUMPTION, wordWrap=True)  # always shown
        self.assumption.setStyleSheet("font-weight: bold;")
        texts = QWidget()
        text_layout = QVBoxLayout(texts)
        text_layout.addWidget(self.assumption)
        text_layout.addWidget(self.summary)
        text_layout.addWidget(self.note)
        text_layout.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(texts)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        split.addWidget(scroll)
        split.setSizes([560, 480])  # the texts keep room in a narrow window
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.rows: list[tuple[str, api.TcPrediction]] = []
        self.show_tc([], None, TcStatus())

    def show_tc(
        self,
        records: Sequence[CandidateRecord],
        reference_tc: api.TcPrediction | None,
        status: TcStatus,
    ) -> None:
        """Show the T_c of ``records`` (the selection) and of the reference, if any."""
        rows = [
            (f"#{r.uid} {r.crystal.formula(reduced=True)}{' ⚠' if r.problem else ''}", r.tc)
            for r in records
            if r.tc
        ]
        rows = rows[:MAX_ROWS]
        self._domains = [status.domain.get(r.uid) for r in records if r.tc][:MAX_ROWS]
        if reference_tc is not None:
            rows.append(("Reference", reference_tc))
            self._domains.append(status.domain.get(-1))
        self.rows = rows  # type: ignore[assignment]
        self.plot.set_rows(self.rows)
        self.summary.setText(self._summary(records, status))
        self.note.setText(model_description(status.info) if status.info else "")

    def _summary(self, records: Sequence[CandidateRecord], status: TcStatus) -> str:
        lines: list[str] = []
        if not records:
            lines.append("Select one or more candidates in the table.")
            if not status.enabled or status.problem:
                lines.append(escape(status.missing_reason()))
        missing = [r for r in records if r.tc is None]
        if missing:
            names = ", ".join(f"#{r.uid}" for r in missing[:8])
            more = "…" if len(missing) > 8 else ""
            lines.append(f"{names}{more}: {escape(status.missing_reason())}")
        flagged = [r for r in records if r.tc and r.problem][:8]
        for r in flagged:
            lines.append(
                f"⚠ #{r.uid}: structure implausible ({escape(r.problem)}); its T<sub>c</sub> "
                "is not meaningful."
            )
        if self.rows:
            head = (
                "<tr><th></th><th>T<sub>c</sub> (K)</th><th>spread (K)</th><th>members (K)</th>"
                "<th>training set</th></tr>"
            )
            body = "".join(
                _row(name, tc, domain)
                for (name, tc), domain in zip(self.rows, self._domains, strict=False)
            )
            lines.append(f"<table cellspacing=4>{head}{body}</table>")
            lines.append(
                "T<sub>c</sub> is the ensemble's geometric mean; the spread is exp(mean ± std) "
                "of the members' ln T<sub>c</sub>. <i>Training set</i>: the distance of the "
                "structure's crystal feature to the SuperCon3D training crystals; beyond the "
                "95th percentile of the training crystals' own distances the T<sub>c</sub> is "
                f"an {EXTRAPOLATION_MARK} (? = this model has no such data)."
            )
            if any(d is not None and d.extrapolation for d in self._domains):
                lines.append(
                    f"<b>{EXTRAPOLATION_MARK.capitalize()}</b>: these structures are unlike "
                    "every superconductor the model was trained on; their T<sub>c</sub> says "
                    "little."
                )
        if len([r for r in records if r.tc]) > MAX_ROWS:
            lines.append(f"Showing the first {MAX_ROWS} selected candidates.")
        return "<br>".join(f"<p>{x}</p>" if not x.startswith("<table") else x for x in lines)
