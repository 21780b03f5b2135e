"""Lattice and XRD tabs, candidate CSV export and CIF provenance (offscreen)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dao_app.dialogs.export_dialog import ExportChoice
from dao_app.state import export
from dao_app.state.candidates import CandidateList
from dao_app.state.jobs import JobList, JobOutput, JobRecord, JobStatus
from dao_engine import api
from tests.helpers.fixtures import cscl, nacl


def _import(qtbot, window, paths) -> list[int]:
    """Import ``paths``; with a reference loaded, also wait for their matches (without one
    nothing is matched and no signal comes: waiting would only cost the timeout)."""
    if window.session.reference is None:
        return window.import_structures(paths)
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        uids = window.import_structures(paths)
    return uids


def test_lattice_tab_shows_rock_salt_and_switches_to_the_primitive_cell(qtbot, window, nacl_cif):
    [uid] = _import(qtbot, window, [nacl_cif])
    panel = window.lattice_panel
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "Lattice"
    window.select_uids([uid])
    assert panel.crystal is None  # not visible yet: nothing computed
    window.tabs.setCurrentWidget(panel)
    assert panel.value("Space group") == "Fm-3m (225)"
    assert panel.value("a").startswith("5.64") and panel.value("α").startswith("90.0")
    conventional = float(panel.value("V"))
    sites = [
        [panel.site_table.item(r, c).text() for c in (0, 4, 5)]
        for r in range(panel.site_table.rowCount())
    ]
    assert sites == [["Na", "4a", "m-3m"], ["Cl", "4b", "m-3m"]]
    panel.set_setting("primitive")
    assert float(panel.value("V")) == pytest.approx(conventional / 4, rel=1e-4)
    assert panel.value("α").startswith("60.0") and panel.value("Atoms") == "2"
    assert panel.value("Space group") == "Fm-3m (225)"
    assert panel.site_table.rowCount() == 2 and panel.site_table.item(0, 4).text() == "4a"
    panel.set_setting("niggli")
    assert float(panel.value("V")) == pytest.approx(conventional, rel=1e-4)
    window.select_uids([])
    assert panel.value("a") == "—" and panel.site_table.rowCount() == 0
    assert not window.errors.history


def _xrd_lines(qtbot, window, count: int):
    """The XRD plot's curves once ``count`` of them are drawn (patterns arrive from a thread)."""
    qtbot.waitUntil(lambda: len(window.xrd.axes.get_lines()) == count, timeout=60000)
    return window.xrd.axes.get_lines()


def test_xrd_tab_draws_the_candidate_over_the_reference(qtbot, window, nacl_cif, tmp_path):
    cscl_path = api.write_structure(cscl(), tmp_path / "CsCl.cif")
    uids = _import(qtbot, window, [cscl_path, nacl_cif])
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000, raising=False):
        assert window.reference.open_reference(nacl_cif)
    window.select_uids([uids[0]])
    window.tabs.setCurrentWidget(window.xrd)
    ax = window.xrd.axes
    lines = _xrd_lines(qtbot, window, 2)
    assert ax.get_xlabel() == "2θ (°), Cu Kα" and ax.get_ylabel() == "intensity (a.u.)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"#{uids[0]} CsCl", "reference NaCl_reference.cif"]
    assert lines[0].get_color() != lines[1].get_color()
    x, y = lines[1].get_data()
    assert abs(x[np.argmax(y)] - 31.73) < 0.1  # rock salt (200) with Cu Kα
    assert window.xrd_patterns.cached_uids() == {uids[0]}
    window.select_uids([uids[1]])
    qtbot.waitUntil(lambda: window.xrd.candidate is not None
                    and window.xrd.candidate[0] == f"#{uids[1]} Na4Cl4", timeout=60000)  # fmt: skip
    assert window.xrd_patterns.cached_uids() == set(uids)
    x, y = ax.get_lines()[0].get_data()
    assert abs(x[np.argmax(y)] - 31.73) < 0.1
    window.reference.clear_reference()
    assert len(ax.get_lines()) == 1  # the candidate's pattern is cached: drawn at once
    assert not window.errors.history


def test_candidates_csv_has_the_header_and_one_row_per_candidate(qtbot, window, nacl_cif, tmp_path):
    cscl_path = api.write_structure(cscl(), tmp_path / "CsCl.cif")
    uids = _import(qtbot, window, [nacl_cif, cscl_path, nacl_cif])
    path = window.files.export_candidates_csv(tmp_path / "candidates.csv")
    assert path is not None and str(path) in window.statusBar().currentMessage()
    rows = list(csv.reader(Path(path).open(encoding="utf-8")))
    header, body = rows[0], rows[1:]
    model = window.table.model()
    visible = [c for c in range(model.columnCount()) if not window.table.isColumnHidden(c)]
    assert header == [model.headerData(c, Qt.Orientation.Horizontal) for c in visible]
    assert len(body) == len(uids) == 3
    column = {name: header.index(name) for name in ("#", "Formula", "Space group", "V/atom (Å³)")}
    assert sorted(int(r[column["#"]]) for r in body) == sorted(uids)
    by_uid = {int(r[column["#"]]): r for r in body}
    assert by_uid[uids[1]][column["Formula"]] == "CsCl"
    assert by_uid[uids[0]][column["Space group"]] == "Fm-3m (225)"
    volume = float(by_uid[uids[0]][column["V/atom (Å³)"]])
    assert volume == pytest.approx(5.64**3 / 8, rel=1e-9)  # full precision, not "22.43"
    assert by_uid[uids[0]][header.index("E DAO-P (eV/atom)")] == ""  # "—" → empty
    assert not window.errors.history
    assert "export_candidates_csv_dialog" in window.actions_by_name
    assert window.files.export_candidates_csv(tmp_path / "no such folder" / "c.csv") is None
    assert window.errors.history  # reported, not raised


def _job_record(tmp_path: Path):
    model = tmp_path / "dao-test.pt"
    model.write_bytes(b"not really a model")
    jobs = JobList()
    request = api.PredictRequest(formula="NaCl", shots=2, steps=4, seed=1234, checkpoint=str(model))
    jobs.jobs.append(JobRecord(7, request, status=JobStatus.FINISHED))
    jobs.outputs[7] = JobOutput(7, "NaCl", model_path=str(model))
    record = CandidateList().new_record(
        nacl(), "Job 7", job_id=7, shot=2, rank=1, energy_per_atom=-3.456789, model=model.name
    )
    return record, jobs, hashlib.sha256(model.read_bytes()).hexdigest()


def test_exported_cif_carries_provenance_that_pymatgen_and_ase_read_past(tmp_path: Path) -> None:
    import ase.io
    from pymatgen.io.cif import CifParser

    record, jobs, digest = _job_record(tmp_path)
    for symmetrize in (True, False):
        path = export.export_one(
            record, tmp_path / f"s{symmetrize}.cif", jobs=jobs, symmetrize=symmetrize
        )
        items = api.read_cif_provenance(path.read_text())
        assert items == {
            "model": "dao-test.pt",
            "model_sha256": digest,
            "energy_per_atom": "-3.456789",
            "seed": "1234",
            "shot": "2",
            "source": "Job 7 · shot 2",
            "uid": str(record.uid),
        }
        structure = CifParser(str(path)).parse_structures(primitive=False)[0]
        assert len(structure) == 8 and structure.composition.reduced_formula == "NaCl"
        assert np.allclose(structure.lattice.abc, (5.64,) * 3)
        atoms = ase.io.read(path)
        assert len(atoms) == 8 and np.allclose(atoms.cell.cellpar(), [5.64] * 3 + [90] * 3)
        assert api.read_structure(path).formula(reduced=True) == "NaCl"
    # POSCAR and XYZ are unchanged; an imported structure has only its source
    poscar = export.export_one(record, tmp_path / "POSCAR.vasp", jobs=jobs)
    assert "_dao_" not in poscar.read_text()
    imported = CandidateList().new_record(nacl(), "NaCl.cif")
    assert {k for k, v in export.provenance(imported).items() if v is not None} == {"source", "uid"}


def test_window_export_writes_provenance(qtbot, window, nacl_cif, tmp_path):
    [uid] = _import(qtbot, window, [nacl_cif])
    window.select_uids([uid])
    [path] = window.files.export_records(
        window.candidates.selected_records(), ExportChoice("cif"), tmp_path / "x.cif"
    )
    assert api.read_cif_provenance(path.read_text())["source"] == "NaCl_reference.cif"
    paths = window.files.export_records(
        list(window.session.candidates), ExportChoice("cif"), tmp_path
    )
    assert all("_dao_source" in p.read_text() for p in paths)
