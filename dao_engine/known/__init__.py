"""Known structures and substitution templates: candidates that come from the Materials
Project crystals shipped in ``resources/library/`` rather than from diffusion sampling."""
