"""The typed façade between the app (or any script) and the engine.

Everything the GUI needs goes through here: parse compositions, load models, run predictions
as a generator of progress events (cancellable between steps), read and write structures.
"""

from __future__ import annotations

from dao_engine.crystal.composition import default_z, parse_formula, species_for_formula, z_options
from dao_engine.errors import CheckpointError, ConfigError, DaoError
from dao_engine.io.structure_files import read_structure, read_structures, write_structure
from dao_engine.prediction import (
    Candidate,
    PredictionResult,
    PredictProgress,
    PredictRequest,
    default_model_path,
    get_model,
    predict,
    predict_iter,
)

__all__ = [
    "Candidate",
    "DaoError",
    "PredictProgress",
    "PredictRequest",
    "PredictionResult",
    "default_model_path",
    "default_z",
    "get_model",
    "parse_formula",
    "predict",
    "predict_iter",
    "read_structure",
    "read_structures",
    "species_for_formula",
    "write_structure",
    "z_options",
]

# --- Sampling settings (steps, corrector, guidance, ...: one type with its defaults and ranges)
# --- and the one rule for "this model predicts energies" ---
from dao_engine.models.energy_head import has_energy_head  # noqa: E402
from dao_engine.sampling.settings import (  # noqa: E402
    CORRECTOR_RULES,
    DEFAULT_STEPS,
    MAX_STEPS,
    SamplingSettings,
)

__all__ += ["CORRECTOR_RULES", "DEFAULT_STEPS", "MAX_STEPS", "SamplingSettings", "has_energy_head"]

# --- Analysis helpers for the desktop app (matching, symmetry, density); see app_support.py ---
from dao_engine import app_support  # noqa: E402
from dao_engine.app_support import (  # noqa: E402
    DEFAULT_SYMPREC,
    MATCHER_TOLERANCES,
    MatchResult,
    SymmetryError,
    available_devices,
    cif_text,
    density,
    duplicate_groups,
    is_plausible,
    match,
    niggli,
    pairwise_matches,
    primitive,
    space_group,
    symmetrized,
    volume_per_atom,
)
from dao_engine.crystal.structure import Crystal  # noqa: E402
from dao_engine.errors import (  # noqa: E402
    CancelledError,
    CompositionError,
    StructureParseError,
)

__all__ += [
    "DEFAULT_SYMPREC",
    "MATCHER_TOLERANCES",
    "CancelledError",
    "CheckpointError",
    "CompositionError",
    "ConfigError",
    "Crystal",
    "MatchResult",
    "StructureParseError",
    "SymmetryError",
    "app_support",
    "available_devices",
    "cif_text",
    "density",
    "duplicate_groups",
    "is_plausible",
    "match",
    "niggli",
    "pairwise_matches",
    "primitive",
    "space_group",
    "symmetrized",
    "volume_per_atom",
]

# --- Physical plausibility of any crystal (distances vs radii, volume vs composition, lattice) ---
# sample_problem: plausibility, then the protocol's validity (what a candidate's ``problem`` is)
from dao_engine.crystal.plausibility import plausibility_problem  # noqa: E402
from dao_engine.prediction import sample_problem  # noqa: E402

__all__ += ["plausibility_problem", "sample_problem"]

# --- Relaxation of single candidates (DAO-P energy or CHGNet) ---
from dao_engine.relaxation_api import Relaxed, relax_crystal  # noqa: E402

__all__ += ["Relaxed", "relax_crystal"]

# --- After sampling: known structures, substitution templates, relax-and-rank into polymorphs ---
from dao_engine.known.library import ATTRIBUTION as LIBRARY_ATTRIBUTION  # noqa: E402
from dao_engine.known.library import LibraryError  # noqa: E402
from dao_engine.ranking.pipeline import (  # noqa: E402
    SourceSwitches,
    chgnet_available,
    file_name,
    gather,
    library_sources,
)
from dao_engine.ranking.relax_rank import (  # noqa: E402
    RANK_ENERGIES,
    RELAX_BACKENDS,
    RankedCandidate,
    RankedResult,
    RelaxProgress,
    RelaxRankSettings,
    relax_and_rank_iter,
)
from dao_engine.ranking.sources import SourcedCandidate  # noqa: E402

__all__ += [
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
]

# --- Superconducting T_c (ensemble of five cross-validated heads on DAO-P's crystal feature) ---
from dao_engine.superconductors.ensemble import TcPrediction  # noqa: E402
from dao_engine.superconductors.model_info import TcModelInfo, tc_model_info  # noqa: E402
from dao_engine.superconductors.service import (  # noqa: E402
    FormulaTc,
    default_tc_model_path,
    get_tc_ensemble,
    predict_tc,
    predict_tc_for_formula,
)

__all__ += [
    "FormulaTc",
    "TcModelInfo",
    "TcPrediction",
    "default_tc_model_path",
    "get_tc_ensemble",
    "predict_tc",
    "predict_tc_for_formula",
    "tc_model_info",
]

# --- Validation at the edges (options, output paths, structures) and verified CIF writing ---
from dao_engine.crystal.sanity import StructureLimits, check_crystal  # noqa: E402
from dao_engine.errors import OutputPathError  # noqa: E402
from dao_engine.io.atomic import write_text_atomic  # noqa: E402
from dao_engine.io.cif import WrittenCif, write_cif_checked  # noqa: E402
from dao_engine.prediction_files import WrittenCandidate, write_candidates  # noqa: E402
from dao_engine.validation import (  # noqa: E402
    check_device,
    check_output_dir,
    check_output_file,
    check_sampling_options,
)

__all__ += [
    "OutputPathError",
    "StructureLimits",
    "WrittenCandidate",
    "WrittenCif",
    "check_crystal",
    "check_device",
    "check_output_dir",
    "check_output_file",
    "check_sampling_options",
    "write_candidates",
    "write_cif_checked",
    "write_text_atomic",
]

# --- What a VESTA or ASE user expects: lattice settings, Wyckoff sites, powder XRD, provenance ---
from dao_engine.analysis.sites import (  # noqa: E402
    LATTICE_SETTINGS,
    LatticeSummary,
    Site,
    cell_in_setting,
    lattice_summary,
    site_table,
)
from dao_engine.analysis.xrd import PowderPattern, powder_pattern  # noqa: E402
from dao_engine.analysis.xrd import broadened as broadened_pattern  # noqa: E402
from dao_engine.io.cif_provenance import add_provenance as add_cif_provenance  # noqa: E402
from dao_engine.io.cif_provenance import file_sha256  # noqa: E402
from dao_engine.io.cif_provenance import read_provenance as read_cif_provenance  # noqa: E402

__all__ += [
    "LATTICE_SETTINGS",
    "LatticeSummary",
    "PowderPattern",
    "Site",
    "add_cif_provenance",
    "broadened_pattern",
    "cell_in_setting",
    "file_sha256",
    "lattice_summary",
    "powder_pattern",
    "read_cif_provenance",
    "site_table",
]

# --- T_c honesty: distance of a crystal to the T_c training set; cancellable CHGNet relaxation ---
from dao_engine.relax.chgnet_backend import relax_with_chgnet  # noqa: E402
from dao_engine.superconductors.domain import TcDomain, tc_domain  # noqa: E402

__all__ += ["TcDomain", "relax_with_chgnet", "tc_domain"]

# --- Time estimates before a job: sampler calibration on this machine, CHGNet costs ---
from dao_engine.estimates import (  # noqa: E402
    JobEstimate,
    SamplingCost,
    calibrate_sampling,
    estimate_job,
)

__all__ += ["JobEstimate", "SamplingCost", "calibrate_sampling", "estimate_job"]
