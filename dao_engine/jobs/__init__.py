"""Whole-run jobs: a GPU job (prepare arrays, train + sample on a device, evaluate on a CPU)."""
