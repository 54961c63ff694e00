"""Vendor text files that are not plain CSV, rewritten as CSV with a header before the layouts see them.

* **Tongdaxin (通达信) "导出" daily bars** (``SH#600062.txt``; GBK; tab-, comma- or blank-separated): a title line
  ``600062 华润双鹤 日线 不复权``, then the header ``日期 开盘 最高 最低 收盘 成交量 成交额`` (cells padded with
  blanks), the data rows, and a footer ``数据来源:通达信`` (sometimes ``#数据来源:通达信``). The title gives the
  code and the adjustment; the file name's ``SH#`` / ``SZ#`` / ``BJ#`` prefix the exchange. The rewritten text
  has the header's columns plus ``tdx_symbol`` and ``adjustflag`` (Baostock's convention: 3 = 不复权, 2 = 前复权,
  1 = 后复权, so adjusted exports are kept out of ``daily_quote`` like Baostock's). Only 日线 is read: a
  minute or weekly export is refused with the reason. Data row *n* of such a file is on line *n + 2*.
* **qlib instruments** (``csi500.txt``: ``SZ000025<TAB>2016-12-30<TAB>2017-01-25``, no header): one membership
  interval per line. The rewritten text gets the header ``qlib_symbol, in_date, out_date, qlib_market`` with
  ``qlib_market`` = the file's stem (``csi500``), which names the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from thermoquant.data.sources.csv_layouts import UnknownLayoutError
from thermoquant.market.symbols import normalize_symbol

__all__ = ["TDX_ADJUST_FLAGS", "VendorText", "rewrite_vendor_text"]

TDX_ADJUST_FLAGS = {"不复权": 3, "前复权": 2, "后复权": 1}
"""Tongdaxin title adjustment → Baostock ``adjustflag`` (3 unadjusted, 2 forward, 1 backward)."""

_TDX_TITLE = re.compile(r"^\s*(\d{6})\s+(.+?)\s+(\S*线)\s+(不复权|前复权|后复权)\s*$")
_TDX_PREFIX = re.compile(r"^(sh|sz|bj)#", re.IGNORECASE)
_QLIB_LINE = re.compile(r"^[A-Za-z]{2}\d{6}\t\d{4}-\d{2}-\d{2}\t\d{4}-\d{2}-\d{2}\s*$")


@dataclass(frozen=True)
class VendorText:
    """A vendor text file rewritten as comma-separated CSV with a header, and what was done (for the notes)."""

    text: str
    note: str


def _cells(line: str) -> list[str]:
    """The cells of a Tongdaxin line: tab- or comma-separated, else blank-separated; blanks stripped."""
    for sep in ("\t", ","):
        if sep in line:
            return [c.strip() for c in line.split(sep)]
    return line.split()


def _is_footer(line: str) -> bool:
    return line.strip().lstrip("#").startswith("数据来源")


def _tongdaxin(lines: list[str], path: Path) -> VendorText | None:
    title = _TDX_TITLE.match(lines[0])
    if title is None or len(lines) < 2 or "日期" not in lines[1]:
        return None
    code, name, period, adjust = title.groups()
    if period != "日线":
        raise UnknownLayoutError(
            f"{path}: 通达信 {period} 导出文件；只导入日线 (Tongdaxin {period} export: only daily 日线 exports are read)"
        )
    prefix = _TDX_PREFIX.match(path.name)
    symbol = normalize_symbol(f"{code}.{prefix.group(1)}" if prefix else code)
    header = [c for c in _cells(lines[1]) if c]
    rows = [",".join([*header, "tdx_symbol", "adjustflag"])]
    flag = str(TDX_ADJUST_FLAGS[adjust])
    rows += [
        ",".join([*_cells(line), symbol, flag]) for line in lines[2:] if line.strip() and not _is_footer(line)
    ]
    note = f"通达信导出 Tongdaxin export: {code} {name} {period} {adjust} → {symbol}; title and footer lines dropped"
    return VendorText("\n".join(rows) + "\n", note)


def _qlib(lines: list[str], path: Path) -> VendorText | None:
    if not _QLIB_LINE.match(lines[0]):
        return None
    market = path.name.split(".")[0].lower()
    rows = ["qlib_symbol,in_date,out_date,qlib_market"]
    rows += [",".join([*line.split("\t")[:3], market]) for line in lines if line.strip()]
    return VendorText("\n".join(rows) + "\n", f"qlib instruments: market {market!r}, one interval per line")


def rewrite_vendor_text(text: str, path: Path) -> VendorText | None:
    """`text` rewritten as headered CSV when it is a Tongdaxin export or a qlib instruments file, else None.

    Raises:
        UnknownLayoutError: a Tongdaxin export that is not daily (minute, weekly …), naming the file.
    """
    head = [line.rstrip("\r") for line in text[:4096].split("\n")[:-1] or [text]]
    head = [line for line in head if line.strip()] or [""]
    if not (_TDX_TITLE.match(head[0]) or _QLIB_LINE.match(head[0])):
        return None  # an ordinary CSV: decided on its first line, without splitting the whole file
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line for line in lines if line.strip()] or [""]
    return _tongdaxin(lines, path) or _qlib(lines, path)
