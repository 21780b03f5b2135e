"""Known structures and substitution templates: candidates that come from the Materials
Project crystals shipped in ``resources/models/mp-known-library.npz`` rather than from diffusion sampling."""
