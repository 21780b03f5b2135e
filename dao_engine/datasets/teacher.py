"""CHGNet as a teacher of energy labels on the DFT formation-energy scale (eV/atom).

CHGNet predicts total energies per atom; the DFT labels are formation energies per atom. Two
ways bring CHGNet onto that scale:

* **delta** for unstable copies of a labelled crystal (strained, displaced, relaxed-toward):
  ``E_form(copy) = E_form_DFT(original) + [E_CHGNet(copy) − E_CHGNet(original)]``; the
  elemental references cancel because the composition is the same.
* **reference-corrected** for crystals without a usable DFT label:
  ``E_form ≈ E_CHGNet − Σ_el x_el μ_el`` with μ fitted on labelled crystals
  (:class:`~dao_engine.datasets.reference_energies.ReferenceEnergies`).

Run ``python -m dao_engine.datasets.teacher --help`` for the corpus + agreement CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.perturb import PerturbedCopies
from dao_engine.datasets.reference_energies import ReferenceEnergies, spearman
from dao_engine.errors import CancelledError, DaoError

#: ``energy_source`` label codes of a teacher corpus.
SOURCE_DFT, SOURCE_DELTA, SOURCE_REFERENCE = 0.0, 1.0, 2.0
SOURCE_CODES = (
    "0 = DFT label; 1 = DFT label of the original + CHGNet difference; 2 = CHGNet - sum x*mu"
)

#: Maps crystals to energies per atom, eV/atom (default: CHGNet total energy).
EnergyFn = Callable[[Sequence[Crystal]], list[float]]


def teacher_energies(
    arrays: CrystalArrays,
    energy_fn: EnergyFn | None = None,
    chunk: int = 64,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """(M,) float64 teacher energy per atom (eV/atom), evaluated ``chunk`` crystals at a time.

    ``progress(done, total)`` is called after each chunk; ``should_stop()`` is checked before
    each and raises :class:`CancelledError` when it returns True.
    """
    if energy_fn is None:
        from dao_engine.relax.chgnet_backend import chgnet_energies  # pymatgen + torch: lazy

        energy_fn = chgnet_energies
    out = np.full(len(arrays), np.nan)
    for start in range(0, len(arrays), chunk):
        if should_stop is not None and should_stop():
            raise CancelledError(
                f"teacher energies cancelled after {start} of {len(arrays)} crystals"
            )
        stop = min(start + chunk, len(arrays))
        out[start:stop] = energy_fn([arrays.crystal(i) for i in range(start, stop)])
        if progress is not None:
            progress(stop, len(arrays))
    return out


def teacher_labels(
    originals: CrystalArrays,
    copies: PerturbedCopies,
    teacher_originals: np.ndarray,
    teacher_copies: np.ndarray,
    reference: ReferenceEnergies | None = None,
) -> CrystalArrays:
    """Originals followed by their copies, labelled on the formation-energy scale (eV/atom).

    Args:
        originals: M crystals; ``energy`` is the DFT formation energy per atom or NaN.
        copies: K copies of ``originals`` (:func:`perturbed_copies`).
        teacher_originals: (M,) teacher (CHGNet) total energy per atom of the originals, eV/atom.
        teacher_copies: (K,) the same for the copies.
        reference: μ for originals without a DFT label; fitted on the labelled originals if None.

    Returns:
        M + K crystals with ``energy`` filled where possible and the label columns
        ``chgnet_energy`` (eV/atom, total) and ``energy_source`` (:data:`SOURCE_CODES`).
        Crystals whose label cannot be made (an element outside the fitted μ) keep NaN.
    """
    teacher_originals = _column(teacher_originals, len(originals), "teacher_originals")
    teacher_copies = _column(teacher_copies, len(copies.arrays), "teacher_copies")
    dft = originals.energy.astype(np.float64)
    has_dft = np.isfinite(dft)
    base = dft.copy()
    source = np.where(has_dft, SOURCE_DFT, SOURCE_REFERENCE)
    if not has_dft.all():
        if reference is None:
            reference = ReferenceEnergies.fit(originals, teacher_originals, dft)
        base[~has_dft] = reference.formation(
            originals.subset(~has_dft), teacher_originals[~has_dft]
        )
    copy_energy = base[copies.source] + teacher_copies - teacher_originals[copies.source]
    copy_source = np.where(has_dft[copies.source], SOURCE_DELTA, SOURCE_REFERENCE)

    head = _with_columns(originals, base, teacher_originals, source)
    tail = _with_columns(copies.arrays, copy_energy, teacher_copies, copy_source)
    corpus = CrystalArrays.concatenate([head, tail])
    corpus.meta.update(
        {
            "energy_teacher": "CHGNet total energy per atom, mapped to the formation scale",
            "energy_source_codes": SOURCE_CODES,
            "perturbation": copies.arrays.meta.get("perturbation", ""),
            "reference_energies": reference.to_json() if reference is not None else "",
        }
    )
    return corpus


def chgnet_agreement(
    arrays: CrystalArrays,
    limit: int | None = None,
    *,
    generator: np.random.Generator,
    teacher: np.ndarray | None = None,
    energy_fn: EnergyFn | None = None,
) -> dict[str, float | int]:
    """Agreement of reference-corrected CHGNet formation energies with DFT labels (eV/atom).

    The first ``limit`` labelled crystals are split in two random halves; μ fitted on one half
    predicts the other (two folds). ``teacher`` (M,) reuses precomputed teacher energies.
    Crystals with an element unseen in the other half are not scored (counted in the result).
    """
    labelled = np.flatnonzero(np.isfinite(arrays.energy))[:limit]
    if len(labelled) < 4:
        raise DaoError(
            f"need at least 4 DFT-labelled crystals to measure agreement, got {len(labelled)}"
        )
    sub = arrays.subset(labelled)
    total = teacher[labelled] if teacher is not None else teacher_energies(sub, energy_fn)
    dft = sub.energy.astype(np.float64)
    halves = np.array_split(generator.permutation(len(sub)), 2)
    predicted = np.full(len(sub), np.nan)
    for fit_rows, test_rows in (halves, halves[::-1]):
        reference = ReferenceEnergies.fit(sub.subset(fit_rows), total[fit_rows], dft[fit_rows])
        predicted[test_rows] = reference.formation(sub.subset(test_rows), total[test_rows])
    scored = np.isfinite(predicted)
    in_sample = ReferenceEnergies.fit(sub, total, dft)
    error = np.abs(predicted[scored] - dft[scored])
    return {
        "labelled": int(len(sub)),
        "scored": int(scored.sum()),
        "unscored_unseen_element": int((~scored).sum()),
        "mae_eV_per_atom": float(error.mean()),
        "median_ae_eV_per_atom": float(np.median(error)),
        "spearman": spearman(predicted[scored], dft[scored]),
        "mae_in_sample_eV_per_atom": float(np.mean(np.abs(in_sample.formation(sub, total) - dft))),
        "elements_in_fit": int(len(in_sample.elements)),
    }


def _column(values: np.ndarray, n: int, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(values) != n:
        raise DaoError(f"{name} has {len(values)} entries for {n} crystals; pass one per crystal")
    return values


def _with_columns(
    arrays: CrystalArrays, energy: np.ndarray, chgnet: np.ndarray, source: np.ndarray
) -> CrystalArrays:
    labels = {**arrays.labels, "chgnet_energy": chgnet, "energy_source": source}
    return CrystalArrays(
        arrays.lattice,
        arrays.frac,
        arrays.species,
        arrays.num_atoms,
        arrays.ids,
        energy,
        labels,
        dict(arrays.meta),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dao_engine.datasets.teacher --data mp_20/val --limit 300 --copies 2
    --out cache/teacher.npz --report benchmarks/results/chgnet_agreement.json``; 0 on success."""
    from dao_engine.datasets.teacher_cli import parser, run

    args = parser().parse_args(argv)
    try:
        return run(args, argv)
    except DaoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
