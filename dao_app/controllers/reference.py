"""The reference structure: opening and clearing it, its 3-D view, the line above the table
that says how candidates are compared with it, and the space-group tolerance."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QFileDialog, QWidget

from dao_app.dialogs.errors import ErrorReporter
from dao_app.match_controller import MatchController
from dao_app.settings import AppSettings
from dao_app.state.session import Session
from dao_app.tc_controller import TcController
from dao_app.widgets.elided_label import ElidedLabel
from dao_app.widgets.structure_view import StructureView
from dao_engine import api

STRUCTURE_FILTER = (
    "Structures (*.cif *.vasp *.poscar POSCAR* CONTCAR* *.xyz *.extxyz);;All files (*)"
)

REFERENCE_EMPTY = (
    "No reference: File ▸ Open Reference… (Ctrl+R) or drop a CIF/POSCAR on the window."
)


class ReferenceController(QObject):
    """See the module docstring. Every failure is reported through ``errors`` and leaves the
    session as it was.

    Signals: ``edited()`` when the session's reference changed; ``recent_changed(list)`` with
    the recent files after one was opened.
    """

    edited = Signal()
    recent_changed = Signal(list)

    def __init__(
        self,
        session: Session,
        settings: AppSettings,
        matcher: MatchController,
        tc: TcController,
        view: StructureView,
        label: ElidedLabel,
        symprec: QDoubleSpinBox,
        errors: ErrorReporter,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.session, self.settings, self.matcher, self.tc = session, settings, matcher, tc
        self.view, self.label, self.symprec = view, label, symprec
        self.errors = errors
        self._dialog_parent = parent
        symprec.valueChanged.connect(self._on_symprec)
        matcher.reference_changed.connect(self._on_reference_changed)
        tc.reference_tc_changed.connect(self.update_label)
        self.update_label()

    @Slot()
    def open_reference_dialog(self) -> None:
        """File ▸ Open Reference…"""
        path, _ = QFileDialog.getOpenFileName(
            self._dialog_parent, "Open reference structure", "", STRUCTURE_FILTER
        )
        if path:
            self.open_reference(path)

    def open_reference(self, path: str | Path) -> bool:
        """Read ``path`` as the reference; False (reported) when it cannot be read."""
        try:
            self.matcher.load_reference(path)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, f"Opening '{Path(path).name}'")
            return False
        self.settings.add_recent(path)
        self.recent_changed.emit(self.settings.recent_files())
        self.edited.emit()
        return True

    @Slot()
    def clear_reference(self) -> None:
        """File ▸ Clear Reference."""
        self.matcher.set_reference(None)
        self.edited.emit()

    @Slot(float)
    def _on_symprec(self, value: float) -> None:
        self.session.candidates.set_symprec(value)
        self.update_label()

    @Slot()
    def _on_reference_changed(self) -> None:
        ref = self.session.reference
        self.view.setVisible(ref is not None)
        if ref is not None:
            symbol, number = api.space_group(ref.crystal, symprec=self.session.candidates.symprec)
            self.view.set_crystal(
                ref.crystal,
                f"<b>Reference</b> {ref.crystal.formula()} · {symbol} ({number}) · "
                f"{Path(ref.path).name}",
            )
        else:
            self.view.set_crystal(None, "Reference")
        self.update_label()

    @Slot()
    def update_label(self) -> None:
        """The line above the table: the reference, how it is matched, its predicted T_c."""
        ref = self.session.reference
        tol = ", ".join(f"{k}={v:g}" for k, v in api.MATCHER_TOLERANCES.items())
        if ref is None:
            text = "No reference loaded (Ctrl+R or drop a CIF/POSCAR) — match and RMSE stay empty."
        else:
            text = (
                f"Reference <b>{Path(ref.path).name or ref.crystal.formula()}</b>: "
                f"matched with StructureMatcher({tol}); RMSE normalised by (V/N)<sup>1/3</sup>"
            )
            tc = self.tc.reference_tc
            if tc is not None:
                text += (
                    f" · predicted T<sub>c</sub> ≈ {tc.tc:.3g} K "
                    f"({tc.tc_low:.3g}–{tc.tc_high:.3g} K, T<sub>c</sub> tab)"
                )
        self.label.setText(text)
