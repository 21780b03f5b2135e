"""Crystal representations: a single :class:`Crystal` (NumPy) and a padded :class:`CrystalBatch` (torch)."""

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER, atomic_number, element_symbol
from dao_engine.crystal.structure import Crystal

__all__ = ["Crystal", "CrystalBatch", "MAX_ATOMIC_NUMBER", "atomic_number", "element_symbol"]
