"""What a 3-D structure view draws, as plain arrays (Qt-free, pyvista-free).

``build_scene(crystal, options)`` returns atoms (positions in Å, colours, radii), two-coloured
bond half-segments, the cell box edges and label anchors. The view turns these into meshes;
tests check them directly.

Conventions: positions are Cartesian ``frac @ lattice`` (rows of the lattice are a, b, c).
Atoms lying on a cell face (fractional coordinate within 1e-3 of 0) are also drawn on the
opposite face of the displayed block, as VESTA and CrystalMaker do, so a rock-salt cell shows
its familiar 27-atom cube.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from dao_app import elements
from dao_engine import api

#: Which cell to draw: the structure as given, or a standard setting (spglib, symprec 0.1 Å).
CELLS: dict[str, str] = {
    "as_is": "As given",
    "conventional": "Conventional",
    "primitive": "Primitive",
    "niggli": "Niggli",
}

#: Two atoms bond when closer than BOND_FACTOR × (sum of covalent radii) and farther than 0.4 Å.
BOND_FACTOR = 1.15
MIN_BOND = 0.4
#: Largest number of drawn atoms; bigger supercells are refused (kept interactive on a laptop).
MAX_DRAWN_ATOMS = 6000
_FACE_TOL = 1e-3


@dataclass(frozen=True)
class SceneOptions:
    """How to draw a crystal.

    supercell: repeats along a, b, c (1–4 each). atom_scale: sphere radius = scale × atomic
    radius. show_boundary: also draw atoms on the far faces.
    """

    scheme: str = "vesta"
    supercell: tuple[int, int, int] = (1, 1, 1)
    show_bonds: bool = True
    show_cell: bool = True
    show_labels: bool = False
    show_boundary: bool = True
    atom_scale: float = 0.45
    cell: str = "as_is"

    def __post_init__(self) -> None:
        if len(self.supercell) != 3 or not all(1 <= int(n) <= 4 for n in self.supercell):
            raise ValueError(f"supercell repeats must be 1–4 per axis, got {self.supercell}")
        if self.scheme not in elements.SCHEMES:
            raise ValueError(f"unknown colour scheme {self.scheme!r}")
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell setting {self.cell!r}; choose one of {sorted(CELLS)}")


@dataclass
class Scene:
    """Arrays to draw. positions (M, 3) Å; species (M,); colours (M, 3) uint8; radii (M,) Å;
    bond_segments (K, 2, 3) Å half-bonds with bond_colours (K, 3) uint8; cell_edges (E, 2, 3) Å;
    label_positions (L, 3) with labels (L,) element symbols (atoms of the first cell only);
    lattice (3, 3) Å of the cell as drawn, supercell its repeats, and atom_index (M,) the index
    of each drawn atom in that cell (copies on faces and in repeats share it)."""

    positions: np.ndarray
    species: np.ndarray
    colours: np.ndarray
    radii: np.ndarray
    bond_segments: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    bond_colours: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.uint8))
    cell_edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3)))
    label_positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    labels: list[str] = field(default_factory=list)
    legend: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    lattice: np.ndarray = field(default_factory=lambda: np.eye(3))
    supercell: tuple[int, int, int] = (1, 1, 1)
    atom_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def num_bonds(self) -> int:
        return len(self.bond_segments) // 2

    @property
    def measure_lattice(self) -> np.ndarray | None:
        """The lattice for minimum-image measurements (one cell drawn), else None: a drawn
        supercell is measured as displayed (see :mod:`dao_app.measure`)."""
        return self.lattice if tuple(self.supercell) == (1, 1, 1) else None

    def atom_names(self) -> list[str]:
        """``"Na3"``-style names: element and 1-based index of the atom in the drawn cell."""
        return [
            f"{elements.symbol(int(z))}{int(i) + 1}"
            for z, i in zip(self.species, self.atom_index, strict=True)
        ]


def block_fractional(
    frac: np.ndarray, species: np.ndarray, reps: tuple[int, int, int], boundary: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fractional positions of the supercell block (plus far-face images when ``boundary``).

    Returns (frac (M, 3) in units of the unit cell, species (M,), in_first_cell (M,) bool).
    """
    shifts = np.array(list(itertools.product(*(range(n) for n in reps))), dtype=float)
    frac = np.asarray(frac, dtype=float) % 1.0
    frac = np.where(frac > 1.0 - _FACE_TOL, frac - 1.0, frac)  # 0.9999 → on the 0 face
    block = (frac[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
    spec = np.tile(species, len(shifts))
    first = np.zeros(len(block), dtype=bool)
    first[: len(frac)] = True
    if boundary:
        extra_f, extra_s = [], []
        for axis_set in _face_combinations():
            on_face = np.all(np.abs(block[:, axis_set]) < _FACE_TOL, axis=1)
            moved = block[on_face].copy()
            for axis in axis_set:
                moved[:, axis] += reps[axis]
            extra_f.append(moved)
            extra_s.append(spec[on_face])
        block = np.vstack([block, *extra_f])
        spec = np.concatenate([spec, *extra_s])
        first = np.concatenate([first, np.zeros(len(block) - len(first), dtype=bool)])
    return block, spec, first


def _face_combinations() -> list[list[int]]:
    """Non-empty subsets of the axes {0, 1, 2}: faces, edges and the corner."""
    return [list(c) for r in (1, 2, 3) for c in itertools.combinations(range(3), r)]


def find_bonds(positions: np.ndarray, species: np.ndarray) -> np.ndarray:
    """(K, 2) index pairs i < j of bonded atoms among ``positions`` (M, 3) Å (see BOND_FACTOR)."""
    if len(positions) < 2:
        return np.zeros((0, 2), dtype=int)
    from scipy.spatial import cKDTree

    cov = np.array([elements.covalent_radius(z) for z in species])
    reach = BOND_FACTOR * 2.0 * float(cov.max())
    pairs = np.array(sorted(cKDTree(positions).query_pairs(reach)), dtype=int).reshape(-1, 2)
    if len(pairs) == 0:
        return pairs
    dist = np.linalg.norm(positions[pairs[:, 0]] - positions[pairs[:, 1]], axis=1)
    limit = BOND_FACTOR * (cov[pairs[:, 0]] + cov[pairs[:, 1]])
    return pairs[(dist < limit) & (dist > MIN_BOND)]


def cell_edges(lattice: np.ndarray, reps: tuple[int, int, int] = (1, 1, 1)) -> np.ndarray:
    """(12, 2, 3) Å: the edges of the parallelepiped spanned by reps[i] × lattice row i."""
    corners = np.array(list(itertools.product((0, 1), repeat=3)), dtype=float)
    span = np.asarray(lattice, dtype=float) * np.asarray(reps, dtype=float)[:, None]
    edges = [
        (a, b)
        for a, b in itertools.combinations(range(8), 2)
        if np.abs(corners[a] - corners[b]).sum() == 1
    ]
    return np.array([[corners[a] @ span, corners[b] @ span] for a, b in edges])


def cell_setting(crystal: api.Crystal, cell: str) -> api.Crystal:
    """``crystal`` in the chosen setting (see :data:`CELLS`); raises ``api.SymmetryError``."""
    if cell == "conventional":
        return api.symmetrized(crystal)
    if cell == "primitive":
        return api.primitive(crystal)
    if cell == "niggli":
        return api.niggli(crystal)
    return crystal


def build_scene(crystal: api.Crystal, options: SceneOptions | None = None) -> Scene:
    """The arrays that draw ``crystal`` with ``options``.

    Raises ValueError when the supercell would draw more than MAX_DRAWN_ATOMS atoms, and
    ``api.SymmetryError`` when a standard cell setting cannot be found.
    """
    options = options or SceneOptions()
    crystal = cell_setting(crystal, options.cell)
    reps = tuple(int(n) for n in options.supercell)
    drawn = crystal.num_atoms * int(np.prod(reps))
    if drawn > MAX_DRAWN_ATOMS:
        raise ValueError(
            f"a {reps[0]}×{reps[1]}×{reps[2]} supercell would draw {drawn} atoms "
            f"(limit {MAX_DRAWN_ATOMS}); choose fewer repeats"
        )
    frac, atom_index, first = block_fractional(
        crystal.frac, np.arange(crystal.num_atoms), reps, options.show_boundary
    )
    species = np.asarray(crystal.species)[atom_index]
    positions = frac @ crystal.lattice
    table = elements.colour_map(crystal.species, options.scheme)
    colours = np.array([table[int(z)] for z in species], dtype=np.uint8).reshape(-1, 3)
    radii = options.atom_scale * np.array([elements.display_radius(z) for z in species])
    scene = Scene(positions, species, colours, radii)
    scene.lattice = np.asarray(crystal.lattice, dtype=float)
    scene.supercell = (reps[0], reps[1], reps[2])
    scene.atom_index = atom_index
    scene.legend = {elements.symbol(z): rgb for z, rgb in table.items()}
    if options.show_bonds:
        pairs = find_bonds(positions, species)
        mid = 0.5 * (positions[pairs[:, 0]] + positions[pairs[:, 1]])
        halves_a = np.stack([positions[pairs[:, 0]], mid], axis=1)
        halves_b = np.stack([mid, positions[pairs[:, 1]]], axis=1)
        scene.bond_segments = np.concatenate([halves_a, halves_b]).reshape(-1, 2, 3)
        scene.bond_colours = np.concatenate([colours[pairs[:, 0]], colours[pairs[:, 1]]])
    if options.show_cell:
        scene.cell_edges = cell_edges(crystal.lattice, reps)
    if options.show_labels:
        scene.label_positions = positions[first]
        scene.labels = [elements.symbol(z) for z in species[first]]
    return scene
