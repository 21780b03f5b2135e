"""The analysis helpers the app asked the engine for (through dao_engine.api)."""

from __future__ import annotations

import numpy as np
import pytest

from dao_app import animation_export
from dao_app.scene import SceneOptions, build_scene
from dao_engine import api


def test_match_protocol_and_rmse(crystals):
    nacl = crystals["nacl"]
    assert api.MATCHER_TOLERANCES == {"stol": 0.5, "ltol": 0.3, "angle_tol": 10.0}
    assert api.match(nacl, nacl) == api.MatchResult(True, pytest.approx(0.0, abs=1e-8))
    rng = np.random.default_rng(0)
    shaken = api.Crystal(nacl.lattice * 1.01, nacl.frac + rng.normal(0, 0.01, (8, 3)), nacl.species)
    result = api.match(shaken, nacl)
    assert result.matched and 0 < result.rmse < 0.2
    assert not api.match(crystals["cscl"], nacl).matched


def test_pairwise_matrix_and_duplicate_groups(crystals):
    nacl, si = crystals["nacl"], crystals["si"]
    matrix = api.pairwise_matches([nacl, si, nacl.with_label("copy")])
    assert matrix[0][2].matched and not matrix[0][1].matched and matrix[1][1].rmse == 0.0
    assert api.duplicate_groups(matrix) == [[0, 2], [1]]


def test_density_volume_and_space_group(crystals):
    nacl = crystals["nacl"]
    assert api.density(nacl) == pytest.approx(2.164, abs=2e-3)  # textbook 2.165 g/cm³
    assert api.volume_per_atom(nacl) == pytest.approx(5.64**3 / 8)
    assert api.space_group(crystals["si"]) == ("Fd-3m", 227)
    assert "auto" in api.available_devices() and "cpu" in api.available_devices()
    assert "_symmetry_space_group_name_H-M   Fm-3m" in api.cif_text(nacl)
    assert "P1" in api.cif_text(nacl, symmetrize=False).replace("P 1", "P1")


def test_standard_cell_settings_in_the_viewer(crystals):
    primitive = build_scene(crystals["nacl"], SceneOptions(cell="primitive", show_boundary=False))
    assert len(primitive.positions) == 2
    with pytest.raises(ValueError, match="unknown cell setting"):
        SceneOptions(cell="weird")


def test_gif_export_and_mp4_needs_ffmpeg(tmp_path):
    from PIL import Image

    frames = [np.full((20, 30, 3), v, dtype=np.uint8) for v in (0, 120, 240)]
    path = animation_export.write_gif(frames, tmp_path / "a.gif", fps=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (30, 20)
    with pytest.raises(ValueError, match="use .gif or .mp4"):
        animation_export.write_animation(frames, tmp_path / "a.avi")
    if animation_export.ffmpeg_available():
        assert animation_export.write_mp4(frames, tmp_path / "a.mp4").stat().st_size > 0
    else:
        with pytest.raises(RuntimeError, match="needs ffmpeg"):
            animation_export.write_mp4(frames, tmp_path / "a.mp4")
