"""Physics engine: chip distribution (ChipStack) and the thermodynamic quantities and states of seed 000/001."""

from thermoquant.physics.chips import ChipStack, chip_distribution, chip_history
from thermoquant.physics.params import GridSpec, ThermoParams
from thermoquant.physics.thermo import STATE_NAMES, compute_physics

__all__ = [
    "STATE_NAMES",
    "ChipStack",
    "GridSpec",
    "ThermoParams",
    "chip_distribution",
    "chip_history",
    "compute_physics",
]
