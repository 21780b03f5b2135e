"""Turn any exception into what the user reads: a title, what happened, and what to do (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass

from dao_engine import api


@dataclass(frozen=True)
class ErrorReport:
    """title: dialog title; message: what happened; advice: what to do next."""

    title: str
    message: str
    advice: str

    @property
    def text(self) -> str:
        return f"{self.message}\n\n{self.advice}" if self.advice else self.message


_ADVICE: list[tuple[type[BaseException], str, str]] = [
    (
        api.CompositionError,
        "Composition not understood",
        "Fix the formula (element symbols are case-sensitive, counts must be whole numbers) "
        "or choose a smaller Z.",
    ),
    (
        api.StructureParseError,
        "Structure file not readable",
        "Check that the file is an ordered CIF, POSCAR or extended XYZ structure; "
        "partially occupied sites must be resolved first.",
    ),
    (
        api.CheckpointError,
        "Model checkpoint problem",
        "Open a checkpoint made by 'dao train' (Predict ▸ Model ▸ Open checkpoint…), "
        "or reinstall DAO Studio to restore the shipped model.",
    ),
    (api.ConfigError, "Invalid setting", "Change the highlighted setting and try again."),
    (
        api.SymmetryError,
        "Symmetry analysis failed",
        "Try a smaller symmetry tolerance, or export in P1.",
    ),
    (api.CancelledError, "Cancelled", ""),
]


def _is_out_of_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "out of memory" in text or type(exc).__name__ == "OutOfMemoryError"


def describe(exc: BaseException, context: str = "") -> ErrorReport:
    """An :class:`ErrorReport` for ``exc``; ``context`` says what the user was doing."""
    prefix = f"{context}: " if context else ""
    if _is_out_of_memory(exc):
        return ErrorReport(
            "Out of memory",
            f"{prefix}the device ran out of memory ({str(exc).splitlines()[0][:200]}).",
            "Use fewer shots, a smaller Z, or run on the CPU (Device ▸ cpu).",
        )
    for kind, title, advice in _ADVICE:
        if isinstance(exc, kind):
            return ErrorReport(title, f"{prefix}{exc}", advice)
    if isinstance(exc, api.DaoError):
        return ErrorReport("DAO Studio", f"{prefix}{exc}", "")
    if isinstance(exc, OSError):
        return ErrorReport(
            "File error",
            f"{prefix}{exc.strerror or exc} ({exc.filename or ''})".strip(),
            "Check that the folder exists and that you may write to it.",
        )
    return ErrorReport(
        "Unexpected error",
        f"{prefix}{type(exc).__name__}: {exc}",
        "Your session is safe (it is autosaved). Please report this with the steps that led to it.",
    )
