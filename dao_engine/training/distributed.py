"""Data-parallel training under ``torchrun`` (PyTorch DDP), and a wall-clock stop shared by ranks.

``torchrun --nproc_per_node 2 -m dao_engine.gpu_job ...`` (or ``dao train``) sets ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK``; :func:`init_distributed` then joins the process group (gloo on
CPU, nccl on CUDA). Without those variables everything runs as one process, unchanged.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: ``rank`` of ``world_size`` processes, on ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only the main process (rank 0) writes checkpoints, logs and outputs."""
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True when ``torchrun`` (or another launcher) set ``WORLD_SIZE`` > 1."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: torch.device) -> DistContext:
    """Join the process group when launched by ``torchrun``; else a one-process context.

    On CUDA each rank takes GPU ``LOCAL_RANK`` and nccl; on CPU gloo.
    """
    if not launched_by_torchrun():
        return DistContext(device=device)
    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistContext(rank, world, local, device)


def close_distributed() -> None:
    """Leave the process group (no-op in a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap_ddp(model: torch.nn.Module, ctx: DistContext) -> torch.nn.Module:
    """``model`` wrapped in DistributedDataParallel when ``ctx`` is distributed, else itself."""
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


class DeadlineStop:
    """A ``should_stop`` callable: true once ``deadline`` (``time.monotonic`` seconds) passed.

    Distributed, ranks must stop at the same step, so every ``every`` calls the ranks agree
    (all-reduce MAX of their flags); in between it answers False without any communication.
    A single process checks the clock on every call (no device sync).
    """

    def __init__(self, deadline: float, ctx: DistContext | None = None, every: int = 10) -> None:
        self.deadline = deadline
        self.ctx = ctx or DistContext()
        self.every = max(1, every)
        self.calls = 0
        self.stopped = False

    def __call__(self) -> bool:
        if self.stopped:
            return True
        self.calls += 1
        late = time.monotonic() >= self.deadline
        if not self.ctx.enabled:
            self.stopped = late
        elif self.calls % self.every == 0:
            flag = torch.tensor([1.0 if late else 0.0], device=self._comm_device())
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            self.stopped = bool(flag.item() > 0)
        return self.stopped

    def _comm_device(self) -> torch.device:
        return self.ctx.device if self.ctx.device.type == "cuda" else torch.device("cpu")
