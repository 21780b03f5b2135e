"""Structure files, conversions, checkpoints and datasets (the engine's edges)."""
