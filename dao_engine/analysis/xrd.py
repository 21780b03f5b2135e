"""Simulated powder X-ray diffraction (pymatgen's ``XRDCalculator``, Cu Kα by default).

:func:`powder_pattern` returns the peak positions 2θ (degrees) and intensities scaled so that
the strongest peak is 100, with Lorentz-polarisation factors and atomic scattering factors as
pymatgen computes them (no Debye–Waller factors, no peak broadening). :func:`broadened` turns the
sticks into a smooth curve for plotting.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from dao_engine.crystal.structure import Crystal

__all__ = ["PowderPattern", "broadened", "powder_pattern"]

#: pymatgen's name of the Cu Kα wavelength (the weighted Kα doublet, 1.54184 Å).
CU_KA = "CuKa"


@dataclass(frozen=True)
class PowderPattern:
    """Peaks of a powder pattern: 2θ (°), intensity (strongest = 100), Miller indices."""

    two_theta: np.ndarray
    intensity: np.ndarray
    hkl: list[tuple[int, ...]]
    wavelength: str = CU_KA

    def __iter__(self):  # noqa: ANN204 - ``two_theta, intensity = powder_pattern(c)``
        return iter((self.two_theta, self.intensity))

    def strongest(self) -> tuple[float, tuple[int, ...]]:
        """(2θ, hkl) of the strongest peak."""
        i = int(np.argmax(self.intensity))
        return float(self.two_theta[i]), self.hkl[i]


def powder_pattern(
    crystal: Crystal,
    two_theta_range: tuple[float, float] = (10.0, 90.0),
    wavelength: str | float = CU_KA,
) -> PowderPattern:
    """The simulated powder pattern of ``crystal`` between the two angles (degrees)."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    from dao_engine.io.convert import structure_from_crystal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing Debye-Waller factors etc.
        pattern = XRDCalculator(wavelength=wavelength).get_pattern(
            structure_from_crystal(crystal), scaled=True, two_theta_range=two_theta_range
        )
    hkl = [tuple(int(v) for v in family[0]["hkl"]) for family in pattern.hkls]
    return PowderPattern(
        np.asarray(pattern.x, dtype=float),
        np.asarray(pattern.y, dtype=float),
        hkl,
        str(wavelength),
    )


def broadened(
    pattern: PowderPattern,
    two_theta_range: tuple[float, float] = (10.0, 90.0),
    fwhm: float = 0.15,
    points: int = 4000,
) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian-broadened curve (x in 2θ degrees, y with its maximum at 100)."""
    x = np.linspace(two_theta_range[0], two_theta_range[1], points)
    y = np.zeros_like(x)
    sigma = fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    for position, height in zip(pattern.two_theta, pattern.intensity, strict=True):
        y += height * np.exp(-0.5 * ((x - position) / sigma) ** 2)
    peak = y.max()
    return x, (y * 100.0 / peak if peak > 0 else y)
