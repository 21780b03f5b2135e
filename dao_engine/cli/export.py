"""``dao export CHECKPOINT OUT``: a compact inference copy of a checkpoint (EMA weights, fp16)."""

from __future__ import annotations

import argparse

from dao_engine.cli.common import Subcommands


def add_parser(sub: Subcommands) -> None:
    e = sub.add_parser(
        "export", help="write a compact inference copy of a checkpoint (EMA weights, fp16)"
    )
    e.add_argument("checkpoint")
    e.add_argument("out")
    e.add_argument("--dtype", choices=["float16", "bfloat16", "float32"], default="float16")


def run(args: argparse.Namespace) -> int:
    import hashlib

    import torch

    from dao_engine.io.checkpoint import inference_payload, load_checkpoint, save_checkpoint

    data = load_checkpoint(args.checkpoint)
    out = save_checkpoint(args.out, inference_payload(data, getattr(torch, args.dtype)))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {digest})")
    return 0
