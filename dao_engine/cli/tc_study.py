"""``dao tc-study``: the whole §2.5 superconductor study (SC-ns generation, 5-fold T_c
cross-validation with and without augmentation, ensemble, case studies): load the shared data,
run :func:`dao_engine.superconductors.study.run_study`, write JSON, report and ensemble."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dao_engine.cli.common import Subcommands
from dao_engine.sampling.settings import DEFAULT_STEPS

if TYPE_CHECKING:
    from dao_engine.superconductors.generation import GeneratedSet
    from dao_engine.superconductors.study import StudyInputs


def add_parser(sub: Subcommands) -> None:
    s = sub.add_parser("tc-study", help="run the superconductor study and write its results")
    s.add_argument("--generator", required=True, help="DAO-G fine-tuned on SC-s")
    s.add_argument(
        "--feature-model", default=None, help="DAO-P for crystal features (default: shipped)"
    )
    s.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    s.add_argument("--shots", type=int, default=20, help="case-study shots")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--limit-sc-s", type=int, default=None, help="first N SC-s entries only (tests)")
    s.add_argument("--limit-sc-ns", type=int, default=None, help="first N SC-ns entries only")
    s.add_argument("--epochs", type=int, default=None, help="T_c head epochs (default 150)")
    s.add_argument("--results", default="benchmarks/results", help="folder for tc_*.json")
    s.add_argument("--report", default="docs/reports/superconductors.md")
    s.add_argument("--ensemble-out", default="runs/dao-tc-ensemble.pt")
    s.add_argument(
        "--generated",
        default="cache/sc_ns_generated.npz",
        help="SC-ns structures: reused when the file exists (and made by the same generator), "
        "else sampled and written there",
    )
    s.add_argument("--device", default="cpu")


def load_inputs(args: argparse.Namespace) -> StudyInputs:
    """SC-s, SC-ns and the case-study references from the data root, plus both models."""
    from dao_engine.datasets.registry import load_dataset
    from dao_engine.datasets.settings import data_root
    from dao_engine.datasets.supercon import composition_of_species, sc_ns_entries
    from dao_engine.models.loading import load_model
    from dao_engine.prediction import default_model_path
    from dao_engine.superconductors.study import StudyInputs

    sc_s = load_dataset("supercon3d/sc_s", processes=2)
    structured = [composition_of_species(c.species) for c in sc_s.crystals()]
    if args.limit_sc_s is not None:
        sc_s = sc_s.subset(list(range(min(args.limit_sc_s, len(sc_s)))))
    sc_ns, report = sc_ns_entries(data_root(), structured)
    print(
        f"SC-s {len(sc_s)}; SC-ns {report.kept} of {report.n_rows} SuperCon rows "
        f"({report.fractional} fractional, {report.has_structure} with a structure, "
        f"{len(report.case_study)} case-study compositions dropped: {report.case_study})"
    )
    if args.limit_sc_ns is not None:
        sc_ns = sc_ns[: args.limit_sc_ns]
    references = load_dataset("reference/case_studies").crystals()
    feature_path = Path(args.feature_model) if args.feature_model else default_model_path()
    return StudyInputs(
        sc_s=sc_s,
        sc_ns=sc_ns,
        references=references,
        generator=load_model(args.generator, args.device),
        feature_model=load_model(feature_path, args.device),
        feature_model_path=feature_path,
    )


def provenance(args: argparse.Namespace, inputs: StudyInputs) -> dict[str, Any]:
    from dao_engine.model_card import git_commit, hardware_name

    return {
        "command": "dao " + shlex.join(sys.argv[1:]),
        "commit": git_commit(),
        "hardware": hardware_name(inputs.generator.device.type),
        "date": dt.date.today().isoformat(),
        "generator": Path(args.generator).name,
        "feature_model": inputs.feature_model_path.name,
    }


def _generation_stamp(args: argparse.Namespace) -> str:
    """What made a generated SC-ns file: it is reused only for the same generator/steps/seed."""
    return f"{Path(args.generator).name}|steps={args.steps}|seed={args.seed}"


def _reuse_generated(args: argparse.Namespace, inputs: StudyInputs) -> None:
    from dao_engine.superconductors.generation import load_generated

    path = Path(args.generated)
    stamp = _generation_stamp(args)
    if path.is_file():
        from dao_engine.datasets.arrays import CrystalArrays

        if CrystalArrays.load_npz(path).meta.get("made_by") == stamp:
            inputs.generated = load_generated(path)


def _store_generated(args: argparse.Namespace, generated: GeneratedSet) -> None:
    from dao_engine.superconductors.generation import save_generated

    path = Path(args.generated)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_generated(generated, path, {"made_by": _generation_stamp(args)})


def run(args: argparse.Namespace) -> int:
    from dao_engine.io.atomic import write_text_atomic
    from dao_engine.superconductors.card import ensemble_card
    from dao_engine.superconductors.ensemble import save_ensemble
    from dao_engine.superconductors.head import HeadConfig
    from dao_engine.superconductors.report import case_record, cv_record, plot_parity, write_json
    from dao_engine.superconductors.report_md import markdown_report
    from dao_engine.superconductors.study import StudyConfig, run_study

    inputs = load_inputs(args)
    if args.limit_sc_ns is None:
        _reuse_generated(args, inputs)
    head = HeadConfig() if args.epochs is None else HeadConfig(epochs=args.epochs)
    config = StudyConfig(steps=args.steps, shots=args.shots, seed=args.seed, head=head)
    store = None if args.limit_sc_ns is not None else partial(_store_generated, args)
    result = run_study(inputs, config, on_generated=store)
    facts = provenance(args, inputs)
    results = Path(args.results)
    cv = cv_record(result, config, facts)
    cases = case_record(result, config, facts)
    write_json(results / "tc_cv.json", cv)
    write_json(results / "tc_case_studies.json", cases)
    report = Path(args.report)
    plot = plot_parity(result, report.with_name(report.stem + "_parity.png"))
    write_text_atomic(report, markdown_report(cv, cases, plot.name))
    ensemble = save_ensemble(
        args.ensemble_out,
        result.shipped.heads,
        config.head,
        inputs.feature_model_path,
        {
            **facts,
            "variant": cv["shipped_variant"],
            "mae_log_tc": cv[cv["shipped_variant"]]["mae_log_tc"],
        },
    )
    card = ensemble.with_suffix(".md")
    write_text_atomic(card, ensemble_card(cv, cases, ensemble))
    print(
        f"wrote {results / 'tc_cv.json'}, {results / 'tc_case_studies.json'}, {report}, {plot}, "
        f"{ensemble} and its card {card}"
    )
    return 0
