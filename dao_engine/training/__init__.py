"""Plain-torch training: size-bucketed batches, losses, the loop with EMA and resumable checkpoints."""

from dao_engine.training.config import TrainConfig
from dao_engine.training.data import TrainingSet
from dao_engine.training.loop import Trainer

__all__ = ["TrainConfig", "Trainer", "TrainingSet"]
