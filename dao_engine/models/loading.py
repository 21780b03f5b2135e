"""Build models from checkpoints (full training checkpoints or compact shipped ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from dao_engine.diffusion.joint import DiffusionConfig, JointDiffusion
from dao_engine.errors import CheckpointError
from dao_engine.io.checkpoint import clip, load_checkpoint, short_reason, validate_schema
from dao_engine.models.crysformer import Crysformer, CrysformerConfig
from dao_engine.models.embeddings import element_feature_table


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


def configs_from_checkpoint(
    data: dict[str, Any], path: Path
) -> tuple[CrysformerConfig, DiffusionConfig]:
    """The network and diffusion configs of a checkpoint, every field of the right type."""
    model_cfg = _typed_fields(data["model_config"], CrysformerConfig, "model_config", path)
    diff_cfg = _typed_fields(data["diffusion_config"], DiffusionConfig, "diffusion_config", path)
    try:
        return CrysformerConfig(**model_cfg), DiffusionConfig(**diff_cfg)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"'{path}' has an unreadable configuration: {short_reason(exc)}"
        ) from exc


_TYPE_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "a text"}


def _typed_fields(values: dict[str, Any], cls: type, key: str, path: Path) -> dict[str, Any]:
    """The entries of ``values`` that are fields of dataclass ``cls``, each checked against the
    type of the field's default (an int is accepted for a float; a bool only for a bool)."""
    known: dict[str, Any] = {}
    for name, spec in cls.__dataclass_fields__.items():  # type: ignore[attr-defined]
        if name not in values:
            continue
        value, want = values[name], type(spec.default)
        ok = isinstance(value, want) and (want is bool or not isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise CheckpointError(
                f"'{path}' is broken: {key}['{name}'] is {clip(repr(value), 40)}, "
                f"expected {_TYPE_WORDS.get(want, want.__name__)}"
            )
        known[name] = value
    return known


def check_weights_fit(data: dict[str, Any], path: Path, config: CrysformerConfig) -> None:
    """Compare the names and shapes of the checkpoint's weights (EMA too) with the network its
    config describes, built on the meta device (no memory); CheckpointError at the first misfit."""
    element_feature_table()  # fill its cache with real tensors, not meta ones
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in Crysformer(config).state_dict().items()}
    for key in ("model", "ema"):
        weights = data.get(key)
        if not weights:
            continue
        missing = sorted(set(expected) - set(weights))
        extra = sorted(set(weights) - set(expected))
        if missing or extra:
            which = f"lacks '{missing[0]}'" if missing else f"has an unexpected '{extra[0]}'"
            raise CheckpointError(
                f"'{path}' weights do not fit its configuration: '{key}' {which} "
                f"({len(missing)} missing, {len(extra)} unexpected)"
            )
        for name, shape in expected.items():
            got = tuple(weights[name].shape)
            if got != shape:
                raise CheckpointError(
                    f"'{path}' weights do not fit its configuration: '{key}' "
                    f"'{name}' has shape {list(got)}, the config needs {list(shape)}"
                )


def model_from_checkpoint(
    data: dict[str, Any], path: Path, device: torch.device, use_ema: bool = True
) -> LoadedModel:
    """Instantiate the network from a checkpoint dict checked by :func:`validate_schema`."""
    validate_schema(data, path)
    config, diffusion_config = configs_from_checkpoint(data, path)
    check_weights_fit(data, path, config)
    weights: dict[str, torch.Tensor] = data["ema"] if use_ema and data.get("ema") else data["model"]
    model = Crysformer(config)
    try:
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}
        )
    except RuntimeError as exc:
        raise CheckpointError(
            f"'{path}' weights do not fit its configuration: {short_reason(exc, 200)}"
        ) from exc
    return LoadedModel(
        model=model.to(device).eval(),
        diffusion=JointDiffusion(diffusion_config),
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
