"""Qt-free parts of the app: candidate list, sessions, export round trips, scene, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dao_app import elements
from dao_app.errors import describe
from dao_app.scene import SceneOptions, build_scene
from dao_app.state import export
from dao_app.state.candidates import CandidateList
from dao_app.state.jobs import JobOutput
from dao_app.state.session import (
    Reference,
    Session,
    SessionFileError,
    load_session,
    save_session,
    session_from_dict,
    session_to_dict,
)
from dao_app.validation import check_formula
from dao_engine import api


def _list_with(*crystals) -> CandidateList:
    c = CandidateList()
    c.add([c.new_record(x, "test", shot=i + 1) for i, x in enumerate(crystals)])
    return c


def test_candidate_list_events_remove_and_restore(crystals):
    c = CandidateList()
    seen = []
    for name in ("inserting", "inserted", "removing", "removed"):
        getattr(c, name).connect(lambda *a, n=name: seen.append((n, a)))
    c.add([c.new_record(x, "t") for x in crystals.values()])
    assert seen == [("inserting", (0, 2)), ("inserted", ())]
    assert [r.space_group for r in c] == [("Fm-3m", 225), ("Pm-3m", 221), ("Fd-3m", 227)]
    assert c[0].density == pytest.approx(2.164, abs=1e-3)
    removed = c.remove_uids([1, 3])
    assert [r.uid for r in c] == [2] and [row for row, _ in removed] == [0, 2]
    c.restore(removed)
    assert [r.uid for r in c] == [1, 2, 3]
    assert c.new_record(crystals["si"], "t").uid == 4  # uids are never reused


def test_symprec_change_recomputes_space_groups(crystals):
    shaken = crystals["nacl"]
    rng = np.random.default_rng(0)
    noisy = api.Crystal(
        shaken.lattice, shaken.frac + rng.normal(0, 0.001, shaken.frac.shape), shaken.species
    )
    c = _list_with(noisy)
    c.set_symprec(1e-4)
    assert c[0].space_group[1] < 225
    c.set_symprec(0.1)
    assert c[0].space_group == ("Fm-3m", 225)


def test_session_round_trip_keeps_everything(tmp_path, crystals):
    session = Session(candidates=_list_with(crystals["nacl"], crystals["si"]))
    session.candidates[0].energy_per_atom = -1.25
    session.reference = Reference(crystals["cscl"], "/data/CsCl.cif")
    session.inputs = {"formula": "NaCl", "shots": 2}
    session.jobs.outputs[3] = JobOutput(
        3, "NaCl", [[0.5, 0.25]], [(2, [crystals["nacl"]])], "tiny.pt", 1.5, 10
    )
    path = save_session(session, tmp_path / "a.daosession")
    loaded = load_session(path)
    assert loaded.inputs == session.inputs and loaded.path == path
    assert [r.uid for r in loaded.candidates] == [1, 2]
    assert loaded.candidates[0].energy_per_atom == -1.25
    np.testing.assert_allclose(loaded.candidates[1].crystal.frac, crystals["si"].frac)
    assert loaded.candidates[1].space_group == ("Fd-3m", 227)
    assert loaded.reference.path == "/data/CsCl.cif"
    out = loaded.jobs.outputs[3]
    assert out.energy_trajectories == [[0.5, 0.25]] and out.frames[0][0] == 2
    assert loaded.jobs.submit(api.PredictRequest("NaCl")).job_id == 4  # no id clash
    assert json.loads(path.read_text())["schema"] == "dao-studio-session"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not a readable session"),
        ('{"a": 1}', "not a DAO Studio session"),
        ('{"schema": "dao-studio-session", "version": 99}', "newer DAO Studio"),
        ('{"schema": "dao-studio-session", "version": 1, "candidates": [{"uid": 1}]}', "damaged"),
    ],
)
def test_bad_session_files_raise_clear_errors(tmp_path, content, match):
    path = tmp_path / "bad.daosession"
    path.write_text(content)
    with pytest.raises(SessionFileError, match=match):
        load_session(path)
    with pytest.raises(SessionFileError, match="no such session file"):
        load_session(tmp_path / "missing.daosession")


def test_session_dict_is_json_serialisable(crystals):
    data = session_to_dict(Session(candidates=_list_with(crystals["nacl"])))
    again = session_from_dict(json.loads(json.dumps(data)))
    assert again.candidates[0].formula == "Na4Cl4"


@pytest.mark.parametrize("fmt", ["cif", "poscar", "xyz"])
def test_export_round_trip(tmp_path, crystals, fmt):
    c = _list_with(crystals["nacl"], crystals["si"])
    paths = export.export_many(list(c), tmp_path / "out", fmt)
    assert [p.name for p in paths] == [
        f"NaCl_1{export.FORMATS[fmt][0]}",
        f"Si_2{export.FORMATS[fmt][0]}",
    ]
    for record, path in zip(c, paths, strict=True):
        back = api.read_structure(path)
        assert api.match(back, record.crystal).matched
        assert back.num_atoms == record.crystal.num_atoms


def test_p1_cif_export_keeps_all_atoms(tmp_path, crystals):
    record = _list_with(crystals["nacl"])[0]
    sym = export.export_one(record, tmp_path / "sym.cif", symmetrize=True)
    p1 = export.export_one(record, tmp_path / "p1.cif", symmetrize=False)
    assert "Fm-3m" in sym.read_text() and "P 1" in p1.read_text().replace("P1", "P 1")
    assert api.read_structure(p1).num_atoms == 8


def test_scene_of_rock_salt(crystals):
    scene = build_scene(crystals["nacl"], SceneOptions(show_labels=True))
    assert len(scene.positions) == 27 and scene.num_bonds == 54  # the 3×3×3 cube of VESTA
    assert len(scene.cell_edges) == 12 and len(scene.labels) == 8
    assert set(scene.legend) == {"Na", "Cl"}
    bigger = build_scene(crystals["nacl"], SceneOptions(supercell=(2, 2, 2)))
    assert len(bigger.positions) == 125 and bigger.num_bonds == 300
    bare = build_scene(
        crystals["nacl"], SceneOptions(show_bonds=False, show_cell=False, show_boundary=False)
    )
    assert len(bare.positions) == 8 and bare.num_bonds == 0 and len(bare.cell_edges) == 0
    with pytest.raises(ValueError, match="1–4"):
        SceneOptions(supercell=(5, 1, 1))


def test_colour_schemes_differ_and_colourblind_is_distinct(crystals):
    species = crystals["nacl"].species
    vesta, jmol = elements.colour_map(species, "vesta"), elements.colour_map(species, "jmol")
    blind = elements.colour_map([1, 8, 11, 17, 26, 29, 55, 79], "colorblind")
    assert vesta != jmol
    assert len(set(blind.values())) == 8
    with pytest.raises(ValueError, match="unknown colour scheme"):
        elements.colour_map(species, "rainbow")


def test_huge_or_degenerate_cells_still_draw():
    junk = api.Crystal(
        np.eye(3) * 3000.0, np.random.default_rng(1).random((8, 3)), [11] * 4 + [17] * 4
    )
    scene = build_scene(junk)
    assert len(scene.positions) >= 8 and scene.num_bonds == 0
    flat = api.Crystal([[1, 0, 0], [0, 1, 0], [0, 0, 1e-9]], [[0, 0, 0], [0.5, 0.5, 0]], [11, 17])
    assert not api.match(flat, flat).matched and "degenerate" in api.match(flat, flat).error


@pytest.mark.parametrize(
    ("text", "ok", "needle"),
    [
        ("", False, "Type a composition"),
        ("Xx2O", False, "unknown element 'Xx'"),
        ("(Ba0.5Sr0.5)TiO3", False, "disordered"),
        ("nacl", False, "capital letter"),
        ("Zr16Rh8O4", True, "7 atoms per formula unit"),
        ("NaCl", True, "2 atoms"),
    ],
)
def test_formula_checks(text, ok, needle):
    check = check_formula(text, 20)
    assert check.ok is ok and needle in check.message
    if ok:
        assert check.default_z in [z for z, _ in check.z_choices]


def test_formula_too_big_for_the_model():
    check = check_formula("Zr16Rh8O4", 5)
    assert not check.ok and "at most 5 atoms" in check.message


def test_error_reports_say_what_to_do():
    assert "case-sensitive" in describe(api.CompositionError("unknown element 'Xx'")).advice
    assert describe(api.CheckpointError("foreign")).title == "Model checkpoint problem"
    oom = describe(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"))
    assert oom.title == "Out of memory" and "fewer shots" in oom.advice
    assert "autosaved" in describe(KeyError("x")).advice


def test_app_core_is_qt_free():
    """State, scene, measurement, validation and errors import without Qt (napari-style)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import dao_app.state.session, dao_app.state.export, dao_app.scene, dao_app.validation\n"
        "import dao_app.errors, dao_app.animation_export, dao_app.elements, dao_app.measure\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'PySide6', 'pyvista', 'vtk'}]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_failed_session_save_keeps_the_old_file(tmp_path, monkeypatch, crystals):
    from dao_engine.io import atomic

    session = Session(candidates=_list_with(crystals["nacl"]), inputs={"formula": "NaCl"})
    path = save_session(session, tmp_path / "a.daosession")
    before = path.read_bytes()
    session.inputs["formula"] = "KCl"

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(SessionFileError, match="No space left"):
        save_session(session, path)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]
