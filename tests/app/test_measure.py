"""Distances and angles of picked atoms, as physics: textbook values, the minimum image across
the cell boundary, invariance to lattice translations, and the drawn-scene conventions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dao_app.measure import angle, distance, measure, minimum_image, nearest_atom
from dao_app.scene import SceneOptions, build_scene

A_NACL = 5.64
A_SI = 5.431
TETRAHEDRAL = math.degrees(math.acos(-1.0 / 3.0))  # 109.4712°


def _cart(crystal, i: int) -> np.ndarray:
    return crystal.frac[i] @ crystal.lattice


def test_nacl_nearest_na_cl_is_half_the_lattice_constant(crystals):
    nacl = crystals["nacl"]  # Na 0..3 on fcc sites, Cl 4..7 shifted by (1/2, 0, 0)
    na, lattice = _cart(nacl, 0), nacl.lattice
    shortest = min(distance(na, _cart(nacl, j), lattice) for j in range(4, 8))
    assert shortest == pytest.approx(A_NACL / 2, abs=1e-9)  # 2.82 Å
    # Na–Na nearest neighbours in fcc: a / √2
    assert distance(na, _cart(nacl, 1), lattice) == pytest.approx(A_NACL / math.sqrt(2))


def test_si_tetrahedral_angle(crystals):
    si = crystals["si"]  # atom 4 at (1/4, 1/4, 1/4) bonds to atoms 0..3
    centre = _cart(si, 4)
    for a, c in itertools.combinations(range(4), 2):
        value = angle(_cart(si, a), centre, _cart(si, c), si.lattice)
        assert value == pytest.approx(TETRAHEDRAL, abs=1e-6)
    assert distance(centre, _cart(si, 0), si.lattice) == pytest.approx(A_SI * math.sqrt(3) / 4)


def test_minimum_image_across_the_cell_boundary():
    lattice = np.eye(3) * A_NACL
    a = np.array([0.05, 0.5, 0.5]) @ lattice
    b = np.array([0.95, 0.5, 0.5]) @ lattice
    assert distance(a, b) == pytest.approx(0.9 * A_NACL)  # as drawn
    assert distance(a, b, lattice) == pytest.approx(0.1 * A_NACL)  # through the boundary
    # Angle across a corner: arms through two different faces.
    vertex = np.array([0.02, 0.02, 0.5]) @ lattice
    value = angle(np.array([0.98, 0.02, 0.5]) @ lattice, vertex, vertex + [0, 2.0, 0], lattice)
    assert value == pytest.approx(90.0)


def test_minimum_image_agrees_with_a_brute_force_search_in_skewed_cells():
    rng = np.random.default_rng(7)
    hexagonal = np.array([[3.0, 0.0, 0.0], [-1.5, 1.5 * math.sqrt(3), 0.0], [0.0, 0.0, 5.0]])
    cells = [hexagonal] + [np.eye(3) * 4 + rng.normal(0, 0.8, (3, 3)) for _ in range(20)]
    images = np.array(list(itertools.product(range(-3, 4), repeat=3)), dtype=float)
    for lattice in cells:
        for _ in range(20):
            vector = rng.uniform(-2, 2, 3) @ lattice
            frac = vector @ np.linalg.inv(lattice)
            brute = np.linalg.norm((frac + images) @ lattice, axis=1).min()
            assert np.linalg.norm(minimum_image(vector, lattice)) == pytest.approx(brute)


def test_lattice_translations_change_nothing(crystals):
    si = crystals["si"]
    lattice = si.lattice
    points = [_cart(si, i) for i in (0, 4, 1)]
    d0 = distance(points[0], points[1], lattice)
    a0 = angle(*points, lattice)
    rng = np.random.default_rng(3)
    for _ in range(10):
        shifts = [rng.integers(-3, 4, 3) @ lattice for _ in points]
        moved = [p + s for p, s in zip(points, shifts, strict=True)]
        assert distance(moved[0], moved[1], lattice) == pytest.approx(d0, abs=1e-9)
        assert angle(*moved, lattice) == pytest.approx(a0, abs=1e-9)
    # ... and to a rigid rotation of the whole crystal (lattice rows rotated with it)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    rotated = [p @ q.T for p in points]
    assert angle(*rotated, lattice @ q.T) == pytest.approx(a0, abs=1e-9)


def test_measure_on_the_drawn_rock_salt_cell(crystals):
    scene = build_scene(crystals["nacl"], SceneOptions())  # one cell: minimum image
    names = scene.atom_names()
    na = names.index("Na1")
    far = int(np.argmax(np.linalg.norm(scene.positions - scene.positions[na], axis=1)))
    assert names[far] == "Na1"  # the opposite corner is a copy of the same atom
    copies = measure(scene.positions, [na, far], scene.measure_lattice, names)
    assert copies.value == pytest.approx(A_NACL * math.sqrt(3))
    assert "copies of one atom" in copies.text and not copies.periodic
    cl = next(i for i, n in enumerate(names) if n.startswith("Cl"))
    pair = measure(scene.positions, [na, cl], scene.measure_lattice, names)
    assert pair.kind == "distance" and pair.periodic
    assert pair.value == pytest.approx(A_NACL / 2)
    assert pair.text.startswith(f"Na1–{names[cl]}: 2.820 Å")
    assert np.linalg.norm(pair.path[1] - pair.path[0]) == pytest.approx(pair.value)
    assert measure(scene.positions, [na], scene.measure_lattice) is None
    with pytest.raises(ValueError, match="2 or 3 atoms"):
        measure(scene.positions, [0, 1, 2, 3])


def test_a_supercell_is_measured_as_drawn(crystals):
    scene = build_scene(crystals["nacl"], SceneOptions(supercell=(2, 1, 1)))
    assert scene.measure_lattice is None
    origin = int(np.argmin(np.linalg.norm(scene.positions, axis=1)))
    end = int(np.argmin(np.linalg.norm(scene.positions - [2 * A_NACL, 0, 0], axis=1)))
    result = measure(scene.positions, [origin, end], scene.measure_lattice)
    assert result.value == pytest.approx(2 * A_NACL) and not result.periodic


def test_degenerate_angle_and_nearest_atom():
    positions = np.array([[0.0, 0, 0], [2.0, 0, 0], [0.0, 0, 0]])
    assert math.isnan(angle(positions[0], positions[1], positions[1]))
    result = measure(positions, [0, 1, 2])
    assert result.kind == "angle" and result.value == pytest.approx(0.0)
    undefined = measure(positions, [0, 2, 1])  # the vertex sits on an arm's end
    assert math.isnan(undefined.value) and "undefined" in undefined.text
    radii = np.array([0.5, 0.8, 0.5])
    assert nearest_atom(np.array([2.0, 0.8, 0.0]), positions[:2], radii[:2]) == 1
    assert nearest_atom(np.array([0.0, 0.0, 0.49]), positions[:2], radii[:2]) == 0
    assert nearest_atom(np.array([1.0, 3.0, 0.0]), positions[:2], radii[:2]) is None
