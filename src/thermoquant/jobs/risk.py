"""The ``[risk]`` settings as the backtest job, ``tq trade replay`` and ``tq trade run`` use them: one set of limits
(:meth:`thermoquant.trading.risk.RiskLimits.from_settings`) and one targets hook
(:func:`thermoquant.trading.risk.target_filter`) with the dated industry membership the industry cap groups by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from thermoquant.backtest.run import TargetFilter
from thermoquant.jobs.context import JobContext
from thermoquant.trading.risk import RiskLimits, target_filter


@dataclass(frozen=True)
class RiskHook:
    """The limits in force, the targets hook they make (None = no cap can bind) and notes for the user."""

    limits: RiskLimits
    filter: TargetFilter | None
    notes: tuple[str, ...] = ()


def risk_limits(ctx: JobContext) -> RiskLimits:
    """The ``[risk]`` section of the job's settings as :class:`RiskLimits`."""
    return RiskLimits.from_settings(ctx.settings.risk)


def industry_members(store: Any, classification: str) -> pl.DataFrame:
    """The ``industry_member`` rows of ``classification`` (every dated snapshot: the caps read the membership in
    force on each target's date); empty when the store has none."""
    return store.read("industry_member", where={"classification": classification})


def risk_hook(ctx: JobContext, store: Any, limits: RiskLimits | None = None) -> RiskHook:
    """``limits`` (None = the ``[risk]`` settings) and their targets hook; the industry cap groups each target by
    the ``[risk] industry_classification`` membership in force on its own date (read only when that cap is set):
    a backtest never groups by a later snapshot, the live loop by today's."""
    lim = limits if limits is not None else risk_limits(ctx)
    industry, notes = None, []
    if lim.max_industry_weight < 1.0:
        classification = ctx.settings.risk.industry_classification
        industry = industry_members(store, classification)
        if industry.is_empty():
            industry = None
            notes.append(
                f"risk.max_industry_weight 未生效 not applied: industry_member 无 {classification} 行 / no rows"
            )
    return RiskHook(lim, target_filter(lim, industry), tuple(notes))
