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

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.perturb import PerturbedCopies, perturbed_copies
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


# ---------------------------------------------------------------------------------------- CLI
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dao_engine.datasets.teacher",
        description="Label a dataset and perturbed copies with CHGNet on the formation-energy scale "
        "and measure CHGNet-vs-DFT agreement.",
    )
    p.add_argument("--data", required=True, help="registered dataset, e.g. mp_20/val")
    p.add_argument("--limit", type=int, default=None, help="first N crystals of --data")
    p.add_argument("--copies", type=int, default=2, help="perturbed copies per crystal")
    p.add_argument(
        "--strain", type=float, default=0.05, help="largest strain component (0.05 = ±5 %%)"
    )
    p.add_argument("--displacement", type=float, default=0.05, help="σ of atom displacements, Å")
    p.add_argument("--toward", type=float, default=0.5, help="relaxed-toward fraction; 0 = none")
    p.add_argument(
        "--fit-data",
        default="mp_20/train_first1000",
        help="labelled dataset for μ when --data has no formation-energy labels",
    )
    p.add_argument("--fit-limit", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="corpus .npz (originals + copies)")
    p.add_argument("--report", type=Path, default=None, help="agreement JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args, argv)
    except DaoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    from dao_engine.datasets.registry import load_dataset

    generator = np.random.default_rng(args.seed)
    arrays = load_dataset(args.data, limit=args.limit)
    started = time.perf_counter()
    label = arrays.meta.get("energy_label", "")
    if "form" not in label.lower():  # absolute or other-reference energies: not this scale
        print(
            f"note: '{args.data}' energy '{label or 'none'}' is not a formation energy; ignoring it"
        )
        arrays.energy[:] = np.nan
    copies = perturbed_copies(
        arrays,
        args.copies,
        generator=generator,
        strain=args.strain,
        displacement=args.displacement,
        toward=args.toward or None,
    )
    print(f"{len(arrays)} crystals + {len(copies.arrays)} copies; CHGNet energies ...", flush=True)
    progress = _printer("CHGNet")
    e_all = teacher_energies(CrystalArrays.concatenate([arrays, copies.arrays]), progress=progress)
    e_orig, e_copy = e_all[: len(arrays)], e_all[len(arrays) :]
    teacher_seconds = time.perf_counter() - started
    reference = None
    if not np.isfinite(arrays.energy).all():
        reference = _fit_reference(args, arrays, e_orig)
    corpus = teacher_labels(arrays, copies, e_orig, e_copy, reference)
    report: dict[str, object] = {
        "command": "python -m dao_engine.datasets.teacher "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": _commit(),
        "hardware": _hardware(),
        "data": args.data,
        "energy": "formation energy per atom, eV/atom",
        "counts": {
            "originals": len(arrays),
            "copies": len(copies.arrays),
            "labelled_dft": int(np.isfinite(arrays.energy).sum()),
            "corpus_finite_energy": int(np.isfinite(corpus.energy).sum()),
        },
        "perturbation": copies.arrays.meta["perturbation"],
        "chgnet_seconds": round(teacher_seconds, 1),
        "copy_minus_original_chgnet_eV_per_atom": _spread(e_copy - e_orig[copies.source]),
    }
    if np.isfinite(arrays.energy).sum() >= 4:
        report["agreement"] = chgnet_agreement(arrays, generator=generator, teacher=e_orig)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))
    if args.out is not None:
        print(f"wrote {corpus.save_npz(args.out)}")
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.report}")
    return 0


def _fit_reference(
    args: argparse.Namespace, arrays: CrystalArrays, e_orig: np.ndarray
) -> ReferenceEnergies:
    from dao_engine.datasets.registry import load_dataset

    labelled = np.isfinite(arrays.energy)
    fit = load_dataset(args.fit_data, limit=args.fit_limit)
    e_fit = teacher_energies(fit, progress=_printer(f"CHGNet on {args.fit_data}"))
    both = CrystalArrays.concatenate([arrays.subset(labelled), fit])
    totals = np.concatenate([e_orig[labelled], e_fit])
    return ReferenceEnergies.fit(both, totals, both.energy)


def _printer(what: str) -> Callable[[int, int], None]:
    return lambda done, total: print(f"  {what}: {done}/{total}", flush=True)


def _spread(values: np.ndarray) -> dict[str, float]:
    return (
        {
            "mean": round(float(np.mean(values)), 4),
            "median": round(float(np.median(values)), 4),
            "p90": round(float(np.quantile(values, 0.9)), 4),
        }
        if len(values)
        else {}
    )


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _hardware() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {torch.get_num_threads()} torch threads (CPU)"


if __name__ == "__main__":
    raise SystemExit(main())
