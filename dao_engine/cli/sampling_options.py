"""The sampler's command-line flags, written once for ``dao predict``, ``dao evaluate`` and the
GPU job: ``--steps --step-lr --guidance --corrector-rule --no-clip-lattice --seed``.

:func:`add_sampling_arguments` adds them; :func:`sampling_arguments` reads them back as the
keywords of :class:`dao_engine.sampling.settings.SamplingSettings` (and of the requests
derived from it), so a new sampler option needs its field, its use and its flag here.
"""

from __future__ import annotations

import argparse
from typing import Any

from dao_engine.sampling.settings import CORRECTOR_RULES, DEFAULT_STEPS


def add_sampling_arguments(
    parser: argparse.ArgumentParser, step_lr_default: str, seed_help: str = "sampling seed"
) -> None:
    """Add the sampler's flags; ``step_lr_default`` says what ``--step-lr`` falls back to."""
    parser.add_argument(
        "--steps",
        type=int,
        default=DEFAULT_STEPS,
        help=f"reverse diffusion steps (default {DEFAULT_STEPS})",
    )
    parser.add_argument(
        "--step-lr",
        type=float,
        default=None,
        help=f"Langevin corrector scale (default: {step_lr_default})",
    )
    parser.add_argument(
        "--guidance", type=float, default=0.0, help="energy-guidance strength s (default 0; DAO-P)"
    )
    parser.add_argument(
        "--corrector-rule",
        choices=CORRECTOR_RULES,
        default="diffcsp",
        help="corrector step d = step_lr·(σ/σ₁)² (diffcsp, default) or step_lr·σ/σ₁ (paper)",
    )
    parser.add_argument(
        "--no-clip-lattice",
        dest="clip_lattice",
        action="store_false",
        help="do not clamp the predicted clean lattice during sampling (default: clamp)",
    )
    parser.add_argument("--seed", type=int, default=0, help=f"{seed_help} (default 0)")


def sampling_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The sampler's flags of parsed ``args`` as :class:`SamplingSettings` keywords."""
    return {
        "steps": args.steps,
        "step_lr": args.step_lr,
        "guidance": args.guidance,
        "corrector_rule": args.corrector_rule,
        "clip_lattice": args.clip_lattice,
        "seed": args.seed,
    }
