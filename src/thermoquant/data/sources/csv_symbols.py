"""Security codes in vendor files → house symbols (``600000.SH``, ``000905.SH``), from a code column or the
file name; a code that is not one is a ``bad_symbol`` error naming the row."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from thermoquant.data.quality import ROW, Issue, Severity
from thermoquant.data.sources.csv_layouts import Layout, UnknownLayoutError
from thermoquant.market.symbols import normalize_symbol

NAME_ALIASES = {"csi500": "000905.SH", "zz500": "000905.SH", "csi300": "000300.SH", "hs300": "000300.SH"}
"""Index names in file names (``csi500_index_daily.csv``) → symbol."""

TDX_INDEX_CODES = {"999999": "000001.SH"}
"""Index codes of 通达信 (TDX) that are not the exchange's: 999999 is TDX's code of the SSE Composite."""


def index_symbol(code: str) -> str:
    """Bare index code → house symbol: 399xxx → SZ, else SH (000905 → 000905.SH; TDX 999999 → 000001.SH)."""
    digits = code.zfill(6)
    if digits in TDX_INDEX_CODES:
        return TDX_INDEX_CODES[digits]
    return f"{digits}.SZ" if digits.startswith("399") else f"{digits}.SH"


def normalize_code(code: str, index_codes: bool) -> str:
    """A code as written in a file → house symbol; bare digits are index codes when `index_codes`."""
    text = code.strip().lstrip("'")
    if index_codes and text.isdigit():
        return index_symbol(text)
    return normalize_symbol(text)


def symbol_from_filename(path: Path, index_codes: bool = False) -> str | None:
    """A symbol read from a file name: 'sh.000905.csv' → 000905.SH, 'stock_603083_x.csv' → 603083.SH,
    'csi500_index_daily.csv' → 000905.SH; None when the name has no code."""
    stem = path.name.split(".csv")[0].split(".parquet")[0].lower()
    match = re.search(r"(?<![a-z])(sh|sz|bj)[._]?(\d{6})(?!\d)", stem)
    if match:
        return normalize_symbol(f"{match.group(2)}.{match.group(1)}")
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", stem)
    if match:
        return normalize_code(match.group(1), index_codes)
    for alias, symbol in NAME_ALIASES.items():
        if alias in stem:
            return symbol
    return None


def resolve_symbols(
    df: pl.DataFrame, path: Path, layout: Layout, override: str | None
) -> tuple[pl.DataFrame, list[Issue], list[str]]:
    """Fill ``symbol`` (override > column > file name); unrecognisable codes are row errors."""
    notes: list[str] = []
    if override is not None:
        return (
            df.with_columns(pl.lit(normalize_symbol(override)).alias("symbol")),
            [],
            [f"symbol {override} given"],
        )
    if "symbol" not in df.columns:
        sym = symbol_from_filename(path, layout.index_codes)
        if sym is None:
            raise UnknownLayoutError(f"{path}: no code column and no code in the file name; pass symbol=")
        notes.append(f"symbol {sym} taken from the file name")
        return df.with_columns(pl.lit(sym).alias("symbol")), [], notes
    raw = df["symbol"].cast(pl.Utf8)
    marker = layout.index_marker
    if marker is not None and marker in df.columns:  # bare codes on marked rows are index codes
        is_index = df[marker].is_not_null() & (df[marker].cast(pl.Utf8).str.strip_chars() != "")
        notes.append(f"rows with {marker} are indices (bare codes → index symbols), the others securities")
    else:
        is_index = pl.repeat(layout.index_codes, df.height, eager=True, dtype=pl.Boolean)
    pairs = pl.DataFrame({"_c": raw, "_i": is_index})
    mapping: dict[tuple[str, bool], str | None] = {}
    for code, index in pairs.drop_nulls().unique().iter_rows():
        try:
            mapping[(code, index)] = normalize_code(code, index)
        except ValueError:
            mapping[(code, index)] = None
    keys = pl.DataFrame(
        {"_c": [k[0] for k in mapping], "_i": [k[1] for k in mapping], "_s": list(mapping.values())},
        schema={"_c": pl.Utf8, "_i": pl.Boolean, "_s": pl.Utf8},
    )
    symbols = pairs.join(keys, on=["_c", "_i"], how="left", maintain_order="left")["_s"]
    df = df.with_columns(symbols.alias("symbol"))
    bad = df.with_columns(raw.alias("_raw")).filter(pl.col("symbol").is_null()).select(ROW, "_raw")
    issues = [
        Issue("bad_symbol", Severity.ERROR, int(r), "symbol", f"not a security code: {v!r}", v)
        for r, v in bad.iter_rows()
    ]
    return df, issues, notes


def as_index_symbols(symbols: pl.Series) -> pl.Series:
    """Symbols read as stocks → the index with the same six digits (000905.SZ → 000905.SH; 399xxx → .SZ)."""
    codes = symbols.str.slice(0, 6)
    mapping = {c: index_symbol(c) for c in codes.drop_nulls().unique().to_list()}
    return codes.replace_strict(mapping, default=None, return_dtype=pl.Utf8).alias(symbols.name)
