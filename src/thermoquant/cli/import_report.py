"""The printed report of an import: a rich renderable with every rejected row and warnings grouped by rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

if TYPE_CHECKING:
    from thermoquant.data.sources.csv import FileIssue, ImportResult

__all__ = ["render_report"]


def _ranges(rows: Sequence[int]) -> str:
    """[1, 2, 3, 7] → '1-3, 7'."""
    out: list[str] = []
    start = prev = None
    for r in sorted(set(rows)):
        if start is None:
            start = prev = r
        elif r == prev + 1:  # type: ignore[operator]
            prev = r
        else:
            out.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = r
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(out)


def render_report(results: Sequence[ImportResult], *, max_rows: int | None = None) -> RenderableType:
    """A rich renderable: one summary line per file, then every rejected row, then warnings grouped by rule.

    `max_rows` limits the rejected rows listed per file (None = all). Rows are 1-based data rows, header not
    counted (line = row + 1).
    """
    summary = RichTable(title="导入结果 Import", show_lines=False)
    for col in (
        "文件 file",
        "格式 layout",
        "表 table",
        "行 rows",
        "写入 written",
        "拒绝 rejected",
        "警告 warnings",
        "参考 reference",
    ):
        summary.add_column(col)
    parts: list[RenderableType] = [summary]
    for r in results:
        ref = ", ".join(f"{k} ({v.height})" for k, v in r.reference.items())
        rows = " + ".join(f"{t} {f.height}" for t, f in r.tables().items()) or "0"
        written = ", ".join(f"{t} {n}" for t, n in r.written.items()) or "-"
        if r.refused:
            written = Text("整份拒绝 refused", style="bold red")
        summary.add_row(
            r.path.name,
            r.layout,
            r.table or "-",
            rows,
            written,
            Text(str(len(r.rejected)), style="red" if r.rejected else ""),
            Text(str(len(r.warnings)), style="yellow" if r.warnings else ""),
            ref or "-",
        )
        if r.rejected:
            detail = RichTable(
                title=f"拒绝的行 rejected rows — {r.path.name} (row = 数据行号, 不含表头)",
                title_justify="left",
            )
            for col in ("row", "key", "column", "rule", "reason"):
                detail.add_column(col)
            for issue in r.rejected[:max_rows]:
                row = str(issue.row or "file")
                detail.add_row(row, issue.key or "", issue.column or "", issue.rule, issue.reason)
            if max_rows is not None and len(r.rejected) > max_rows:
                detail.add_row("…", "", "", "", f"{len(r.rejected) - max_rows} more")
            parts.append(detail)
        by_rule: dict[str, list[FileIssue]] = {}
        for w in r.warnings:
            by_rule.setdefault(w.rule, []).append(w)
        for rule, ws in by_rule.items():
            rows_list = [w.row for w in ws if w.row is not None]
            file_level = [w.reason for w in ws if w.row is None]
            text = f": {len(ws)} — " + ("; ".join(file_level) if file_level else ws[0].reason)
            if rows_list:
                text += f" — rows {_ranges(rows_list)}"
            parts.append(Text.assemble((f"警告 warning {r.path.name} {rule}", "yellow"), text))
    return Group(*parts)
