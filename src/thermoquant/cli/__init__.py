"""`tq …`: every Typer command and every console of the product lives in this package.

Domain packages return data and raise typed errors; the modules here parse options, call the jobs or domain
functions, and print. ``thermoquant.cli:main`` is the console-script entry point.
"""

from thermoquant.cli.main import app, main

__all__ = ["app", "main"]
