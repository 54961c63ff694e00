"""Typed errors of the trading layer (cli/errors.py turns them into text and exit codes)."""

from __future__ import annotations


class TradingError(Exception):
    """Base of the trading errors."""


class BrokerUnavailableError(TradingError):
    """The broker cannot be reached or its library is missing (miniQMT needs Windows and a running QMT client)."""


class TradingBlockedError(TradingError):
    """Trading refused: the kill switch is HALTED or a reconciliation mismatch waits for `tq trade reconcile
    --accept`."""


class OrderStateError(TradingError):
    """An order transition the state machine does not allow."""
