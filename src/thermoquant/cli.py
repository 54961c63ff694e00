"""Command line entry point: `tq …` (Typer). Each area registers its own sub-app below."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="thermoquant (tq) —— A 股研究到交易平台：数据、因子、热力学模型、回测、交易。\n\n"
    "China A-share research-to-trading platform.",
    no_args_is_help=True,
    add_completion=False,
)

# --- sub-app registrations (one line per area; keep this block sorted) ---
# --- end of sub-app registrations ---


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
