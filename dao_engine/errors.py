"""Domain exceptions of the engine.

Every error that can reach a user derives from :class:`DaoError` and carries a message that says
what was wrong and what to do. The CLI prints ``str(error)`` on one line; the app shows it in a
dialog.
"""

from __future__ import annotations


class DaoError(Exception):
    """Base class of all errors the engine raises on purpose."""


class CompositionError(DaoError, ValueError):
    """A chemical formula could not be understood (unknown element, empty, disordered, ...)."""


class StructureParseError(DaoError, ValueError):
    """A structure file (CIF, POSCAR, XYZ) is malformed or describes something unsupported."""


class CheckpointError(DaoError):
    """A checkpoint is missing, corrupt, foreign or of an incompatible schema."""


class ConfigError(DaoError, ValueError):
    """A configuration value is out of range or inconsistent."""


class DatasetError(DaoError):
    """A dataset is missing, unknown or malformed."""


class TrainingDivergedError(DaoError):
    """The training loss became NaN or infinite; the message says at which step."""


class CancelledError(DaoError):
    """Long work was cancelled by the caller."""
