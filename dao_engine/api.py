"""The typed façade between the app (or any script) and the engine.

Grouped by task; each group names what it is for. Everything exported is a function, a
constant or a typed object (dataclasses, errors): no engine module is exported whole, and a
model is described by :class:`ModelInfo` rather than handed out for inspection.

Qt-free; importing it loads torch but no GUI package.
"""

from __future__ import annotations

from pathlib import Path

# Imports are grouped by task, sorted within each group.
# isort: off
# --- Errors: every refusal is a DaoError with one clear line -------------------------------------
from dao_engine.errors import (
    CancelledError,
    CheckpointError,
    CompositionError,
    ConfigError,
    DaoError,
    OutputPathError,
    StructureParseError,
)

# --- Compositions: parse a formula, its atoms and the Z a cell may hold --------------------------
from dao_engine.crystal.composition import default_z, parse_formula, species_for_formula, z_options

# --- Models: the shipped ones, a checkpoint's description, the devices to run on ----------------
from dao_engine.app_support import (
    SHIPPED_ENERGY_MODEL,
    ShippedGenerator,
    available_devices,
    shipped_generators,
    shipped_model_path,
    verify_if_shipped,
)
from dao_engine.models.energy_head import has_energy_head
from dao_engine.models.info import ModelInfo
from dao_engine.prediction import default_model_path, get_model

# --- Sampling and prediction: settings with their defaults and ranges, progress events,
# --- results (cancellable between steps) ---
from dao_engine.prediction import (
    Candidate,
    PredictionResult,
    PredictProgress,
    PredictRequest,
    predict,
    predict_iter,
)
from dao_engine.sampling.settings import CORRECTOR_RULES, DEFAULT_STEPS, MAX_STEPS, SamplingSettings

# --- Structures: the crystal type, reading and writing files, CIF text and provenance -----------
from dao_engine.app_support import cif_text
from dao_engine.crystal.structure import Crystal
from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.cif import WrittenCif, write_cif_checked
from dao_engine.io.cif_provenance import add_provenance as add_cif_provenance
from dao_engine.io.cif_provenance import file_sha256
from dao_engine.io.cif_provenance import read_provenance as read_cif_provenance
from dao_engine.io.structure_files import read_structure, read_structures, write_structure
from dao_engine.prediction_files import WrittenCandidate, write_candidates

# --- Analysis: symmetry, matching (the benchmark's StructureMatcher), density, lattice settings,
# --- Wyckoff sites, powder XRD ---
from dao_engine.analysis.sites import (
    LATTICE_SETTINGS,
    LatticeSummary,
    Site,
    cell_in_setting,
    lattice_summary,
    site_table,
)
from dao_engine.analysis.xrd import PowderPattern, powder_pattern
from dao_engine.analysis.xrd import broadened as broadened_pattern
from dao_engine.app_support import (
    DEFAULT_SYMPREC,
    MATCHER_TOLERANCES,
    MatchResult,
    SymmetryError,
    density,
    duplicate_groups,
    match,
    niggli,
    pairwise_matches,
    primitive,
    space_group,
    symmetrized,
    volume_per_atom,
)

# --- Is a candidate OK? ``*_problem`` -> None when fine, else the reason; ``is_*`` -> True when
# --- fine (see dao_engine/crystal/validity.py) ---
from dao_engine.crystal.validity import (
    candidate_problem,
    is_plausible,
    is_valid,
    plausibility_problem,
    validity_problem,
)

# --- Checks at the edges: options, output paths, structure limits --------------------------------
from dao_engine.crystal.sanity import StructureLimits, check_crystal
from dao_engine.validation import (
    check_device,
    check_output_dir,
    check_output_file,
    check_sampling_options,
)

# --- Relaxation of single candidates: DAO-P energy or CHGNet (cancellable) ---------------------
from dao_engine.relax.chgnet_backend import relax_with_chgnet
from dao_engine.relaxation_api import Relaxed, relax_crystal

# --- Ranking and the library: known structures, substitution templates, relax-and-rank into
# --- polymorphs ---
from dao_engine.known.library import ATTRIBUTION as LIBRARY_ATTRIBUTION
from dao_engine.known.library import LibraryError
from dao_engine.ranking.pipeline import (
    SourceSwitches,
    chgnet_available,
    file_name,
    gather,
    library_sources,
)
from dao_engine.ranking.relax_rank import (
    RANK_ENERGIES,
    RELAX_BACKENDS,
    RankedCandidate,
    RankedResult,
    RelaxProgress,
    RelaxRankSettings,
    relax_and_rank_iter,
)
from dao_engine.ranking.sources import SourcedCandidate

# --- Superconducting T_c: the ensemble of five heads on DAO-P's crystal feature, and how far a
# --- crystal lies from its training set ---
from dao_engine.superconductors.domain import TcDomain, tc_domain
from dao_engine.superconductors.ensemble import TcPrediction
from dao_engine.superconductors.model_info import TcModelInfo, tc_model_info
from dao_engine.superconductors.service import (
    FormulaTc,
    default_tc_model_path,
    get_tc_ensemble,
    predict_tc,
    predict_tc_for_formula,
)

# --- Estimates before a job: sampler calibration on this machine, CHGNet costs -----------------
from dao_engine.estimates import JobEstimate, SamplingCost, calibrate_sampling, estimate_job
# isort: on

#: Transitional: the name ``dao_app/state/candidates.py`` still calls; it is :func:`candidate_problem`.


def model_info(checkpoint: str | Path | None = None, device: str = "cpu") -> ModelInfo:
    """Read a checkpoint (None = the shipped default) and describe it, loading it once per
    process. A shipped model's sha256 is checked first. Raises :class:`CheckpointError` for a
    missing, corrupt or damaged file."""
    from dao_engine.models.info import describe

    if checkpoint is not None:
        verify_if_shipped(checkpoint)
    return describe(get_model(checkpoint, device))


__all__ = [
    # errors
    "CancelledError",
    "CheckpointError",
    "CompositionError",
    "ConfigError",
    "DaoError",
    "OutputPathError",
    "StructureParseError",
    # compositions
    "default_z",
    "parse_formula",
    "species_for_formula",
    "z_options",
    # models
    "SHIPPED_ENERGY_MODEL",
    "ModelInfo",
    "ShippedGenerator",
    "available_devices",
    "default_model_path",
    "get_model",
    "has_energy_head",
    "model_info",
    "shipped_generators",
    "shipped_model_path",
    "verify_if_shipped",
    # sampling and prediction
    "CORRECTOR_RULES",
    "DEFAULT_STEPS",
    "MAX_STEPS",
    "Candidate",
    "PredictProgress",
    "PredictRequest",
    "PredictionResult",
    "SamplingSettings",
    "predict",
    "predict_iter",
    # structures
    "Crystal",
    "WrittenCandidate",
    "WrittenCif",
    "add_cif_provenance",
    "cif_text",
    "file_sha256",
    "read_cif_provenance",
    "read_structure",
    "read_structures",
    "write_candidates",
    "write_cif_checked",
    "write_structure",
    "write_text_atomic",
    # analysis
    "DEFAULT_SYMPREC",
    "LATTICE_SETTINGS",
    "MATCHER_TOLERANCES",
    "LatticeSummary",
    "MatchResult",
    "PowderPattern",
    "Site",
    "SymmetryError",
    "broadened_pattern",
    "cell_in_setting",
    "density",
    "duplicate_groups",
    "lattice_summary",
    "match",
    "niggli",
    "pairwise_matches",
    "powder_pattern",
    "primitive",
    "site_table",
    "space_group",
    "symmetrized",
    "volume_per_atom",
    # is a candidate OK?
    "candidate_problem",
    "is_plausible",
    "is_valid",
    "plausibility_problem",
    "validity_problem",
    # checks at the edges
    "StructureLimits",
    "check_crystal",
    "check_device",
    "check_output_dir",
    "check_output_file",
    "check_sampling_options",
    # relaxation
    "Relaxed",
    "relax_crystal",
    "relax_with_chgnet",
    # ranking and the library
    "LIBRARY_ATTRIBUTION",
    "RANK_ENERGIES",
    "RELAX_BACKENDS",
    "LibraryError",
    "RankedCandidate",
    "RankedResult",
    "RelaxProgress",
    "RelaxRankSettings",
    "SourceSwitches",
    "SourcedCandidate",
    "chgnet_available",
    "file_name",
    "gather",
    "library_sources",
    "relax_and_rank_iter",
    # superconducting T_c
    "FormulaTc",
    "TcDomain",
    "TcModelInfo",
    "TcPrediction",
    "default_tc_model_path",
    "get_tc_ensemble",
    "predict_tc",
    "predict_tc_for_formula",
    "tc_domain",
    "tc_model_info",
    # estimates
    "JobEstimate",
    "SamplingCost",
    "calibrate_sampling",
    "estimate_job",
]
