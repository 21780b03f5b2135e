"""Build models from checkpoints (full training checkpoints or compact shipped ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from dao_engine.diffusion.joint import DiffusionConfig, JointDiffusion
from dao_engine.errors import CheckpointError
from dao_engine.io.checkpoint import load_checkpoint
from dao_engine.models.crysformer import Crysformer, CrysformerConfig


@dataclass
class LoadedModel:
    """A ready-to-sample model: network (eval mode, float32), its diffusion, and what it is."""

    model: Crysformer
    diffusion: JointDiffusion
    kind: str
    path: Path
    step: int
    metadata: dict[str, Any] = field(default_factory=dict)
    energy_normalisation: dict[str, float] | None = None

    @property
    def max_atoms(self) -> int:
        return self.model.config.max_atoms

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """ "auto" → CUDA when available, else CPU; otherwise the named device."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    from dao_engine.validation import check_device

    check_device(name)  # ConfigError for an unknown or absent device, naming it
    return torch.device(name)


def model_from_checkpoint(
    data: dict[str, Any], path: Path, device: torch.device, use_ema: bool = True
) -> LoadedModel:
    """Instantiate the network from a validated checkpoint dict."""
    try:
        config = CrysformerConfig.from_dict(data["model_config"])
        diffusion = JointDiffusion(DiffusionConfig(**data["diffusion_config"]))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"'{path}' has an unreadable configuration: {exc}") from exc
    weights: dict[str, torch.Tensor] = data["ema"] if use_ema and data.get("ema") else data["model"]
    model = Crysformer(config)
    try:
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}
        )
    except RuntimeError as exc:
        raise CheckpointError(
            f"'{path}' weights do not fit its configuration: {str(exc)[:200]}"
        ) from exc
    return LoadedModel(
        model=model.to(device).eval(),
        diffusion=diffusion,
        kind=str(data["kind"]),
        path=path,
        step=int(data.get("step", 0)),
        metadata=dict(data.get("metadata") or {}),
        energy_normalisation=data.get("energy_normalisation"),
    )


def load_model(path: str | Path, device: str | torch.device = "auto") -> LoadedModel:
    """Load a checkpoint from ``path`` onto ``device`` (EMA weights when present)."""
    dev = resolve_device(device)
    path = Path(path)
    return model_from_checkpoint(load_checkpoint(path, map_location="cpu"), path, dev)
