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


class StructureWarning(UserWarning):
    """A structure was read but looks unphysical (e.g. atoms closer than 0.5 Å); the CLI prints
    it as one line, the text is also kept in ``crystal.properties["sanity_warning"]``."""


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


class OutputPathError(ConfigError):
    """An output path cannot be used (not writable, a folder where a file is meant, an existing
    file that ``--force`` did not allow to replace, a name too long, ...)."""


class WriteBackError(DaoError):
    """A file we were about to write would not read back as the crystal it was made from (a
    bug in a writer); the message says what differs, and the file is not written."""
