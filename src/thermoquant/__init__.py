"""thermoquant (tq): China A-share research-to-trading platform built on the financial-thermodynamics model."""

__version__ = "0.1.0"
