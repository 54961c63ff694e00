"""Signals: the full-market scan and blacklist, multi-factor scoring and stable-layer alerts."""
