"""Shared test helpers (known crystals, ...) for the engine and app tests."""
