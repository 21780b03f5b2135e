"""Structure relaxation: L-BFGS on DAO-P's own energy (§4.3.2), or CHGNet as a physics backend."""

from dao_engine.relax.dao_relax import RelaxConfig, RelaxResult, relax_with_energy_model

__all__ = ["RelaxConfig", "RelaxResult", "relax_with_energy_model"]
