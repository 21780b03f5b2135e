"""Crystallographic analysis for display: lattice summaries, Wyckoff site tables, powder XRD."""
