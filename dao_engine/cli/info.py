"""``dao info CHECKPOINT``: what a checkpoint holds (kind, step, parameters, configs, labels)."""

from __future__ import annotations

import argparse

from dao_engine.cli.common import Subcommands


def add_parser(sub: Subcommands) -> None:
    p = sub.add_parser("info", help="describe a checkpoint")
    p.add_argument("checkpoint")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dao_engine.io.checkpoint import load_checkpoint
    from dao_engine.models.loading import check_weights_fit, configs_from_checkpoint

    data = load_checkpoint(args.checkpoint)  # schema checked: a broken file exits 2 here
    config, _ = configs_from_checkpoint(data, Path(args.checkpoint))
    check_weights_fit(data, Path(args.checkpoint), config)
    weights = data["model"]
    n_params = sum(v.numel() for v in weights.values() if v.is_floating_point())
    dtype = next(iter(weights.values())).dtype
    print(f"checkpoint      {args.checkpoint}")
    print(f"kind            {data['kind']}  (schema v{data['schema_version']})")
    print(f"step            {data.get('step', 0)}")
    print(f"parameters      {n_params:,}  ({dtype})")
    print(f"model           {data['model_config']}")
    print(f"diffusion       {data['diffusion_config']}")
    print(f"data            fingerprint {data.get('data_fingerprint')}")
    if data.get("energy_normalisation"):
        print(f"energy labels   {data['energy_normalisation']}")
    for key, value in (data.get("metadata") or {}).items():
        print(f"{key:<15} {value}")
    return 0
