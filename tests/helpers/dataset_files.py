"""Tiny dataset files for the dataset tests, written with pymatgen into a temporary folder."""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def nacl(a: float = 5.64, strain: float = 1.0):
    """Rock-salt NaCl, conventional cell (8 atoms); ``strain`` scales the a axis."""
    from pymatgen.core import Lattice, Structure

    s = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    if strain != 1.0:
        s = Structure(Lattice(np.diag([a * strain, a, a])), s.species, s.frac_coords)
    return s


def cscl_type_nacl(a: float = 3.0):
    """NaCl in the CsCl (B2) structure: same formula, different polymorph."""
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice.cubic(a), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def rocksalt(cation: str, anion: str, a: float):
    """A rock-salt (B1) conventional cell of 8 atoms."""
    from pymatgen.core import Lattice, Structure

    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a), [cation, anion], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def kcl(a: float = 6.29):
    return rocksalt("K", "Cl", a)


def disordered():
    """A rock-salt cell with a half Na / half K site (partial occupancy)."""
    from pymatgen.core import Lattice, Structure

    return Structure(
        Lattice.cubic(5.9), [{"Na": 0.5, "K": 0.5}, "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def cif_text(structure) -> str:
    from pymatgen.io.cif import CifWriter

    return str(CifWriter(structure))


def poscar_escaped(structure) -> str:
    """A POSCAR string with literal backslash-n escapes, as in the JARVIS leaderboard files."""
    from pymatgen.io.vasp import Poscar

    return Poscar(structure).get_str().replace("\n", "\\n")


def write_cdvae_csv(path: Path, rows: Sequence[dict[str, object]], gz: bool = False) -> Path:
    """CDVAE-style CSV with a leading unnamed index column."""
    columns = ["", *rows[0].keys()]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for i, row in enumerate(rows):
        writer.writerow({"": i, **row})
    data = buffer.getvalue().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_json_zip(path: Path, table: dict, inner: str = "set.json") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner, json.dumps(table))
    return path


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def write_mattergen_tar(
    path: Path,
    structures: Sequence,
    ids: Sequence[str],
    energies: Sequence[float],
    split: str = "val",
    with_pos: bool = True,
) -> Path:
    """A MatterGen-style array cache ``<prefix>/<split>/*.npy|json`` inside a tar.xz."""
    files = {
        "structure_id.npy": _npy(np.array(ids)),
        "num_atoms.npy": _npy(np.array([len(s) for s in structures], dtype=np.int64)),
        "atomic_numbers.npy": _npy(
            np.concatenate([[site.specie.Z for site in s] for s in structures]).astype(np.int64)
        ),
        "cell.npy": _npy(np.stack([s.lattice.matrix for s in structures])),
        "formation_energy_per_atom.json": json.dumps({"values": list(energies)}).encode(),
        "dft_band_gap.json": json.dumps({"values": [float("nan")] * len(ids)}).encode(),
    }
    if with_pos:
        files["pos.npy"] = _npy(np.concatenate([s.frac_coords for s in structures]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:xz") as archive:
        for name, data in files.items():
            _add_bytes(archive, f"cache_prefix/{split}/{name}", data)
    return path


def write_cif_tar(path: Path, named_structures: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:xz") as archive:
        for name, structure in named_structures.items():
            _add_bytes(archive, f"top/cifs/{name}", cif_text(structure).encode())
    return path
