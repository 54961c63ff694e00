"""The printed report of an import: a rich renderable with one line per file (what was written, or why nothing
was), every issue of the rejected rows, and warnings grouped by rule naming symbol and date."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from thermoquant.data.sources.csv import FAILED_OUTCOMES, Outcome

if TYPE_CHECKING:
    from thermoquant.data.sources.csv import FileIssue, ImportResult

__all__ = ["OUTCOME_TEXT", "failed_files", "render_report"]

OUTCOME_TEXT: dict[Outcome, str] = {
    Outcome.UNCHANGED: "无变化（已导入过）/ unchanged (already stored)",
    Outcome.REFERENCE: "参考序列，按设计不入库 / reference series, not stored by design",
    Outcome.NO_ROWS: "未写入：文件没有数据行 / nothing written: the file has no data rows",
    Outcome.ALL_REJECTED: "未写入：所有行都被拒绝 / nothing written: every row was rejected",
    Outcome.REFUSED: "整份拒绝 refused",
    Outcome.VALIDATED: "仅校验 validated only",
}
"""Why a file wrote nothing (or what it wrote instead of rows), as the report says it."""

KEYS_SHOWN = 6
"""Symbol/date keys listed per warning rule and file before '… (+n)'."""


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


def _keys(issues: Sequence[FileIssue]) -> str:
    """'000905.SH 2019-02-19, 2019-02-20 …; 000300.SH 2015-01-05 (+12)': the rows' symbols and dates, grouped by
    symbol, at most :data:`KEYS_SHOWN` of them."""
    by_symbol: dict[str, list[str]] = {}
    shown = 0
    for issue in issues:
        if issue.key is None or shown >= KEYS_SHOWN:
            continue
        symbol, _, rest = issue.key.partition(" ")
        by_symbol.setdefault(symbol, []).append(rest)
        shown += 1
    text = "; ".join(f"{sym} {', '.join(d for d in dates if d)}".strip() for sym, dates in by_symbol.items())
    keyed = sum(1 for i in issues if i.key is not None)
    return f"{text} (+{keyed - shown})" if keyed > shown else text


def failed_files(results: Sequence[ImportResult]) -> list[ImportResult]:
    """The files that contributed nothing although they were meant to (:data:`FAILED_OUTCOMES`)."""
    return [r for r in results if r.outcome in FAILED_OUTCOMES]


def render_report(results: Sequence[ImportResult], *, max_rows: int | None = None) -> RenderableType:
    """A rich renderable: one summary line per file, then every issue of the rejected rows, then warnings grouped
    by rule (with the symbols and dates they concern).

    The "rejected" column counts rows (a row with two issues counts once); the issues are listed below it.
    `max_rows` limits the issues listed per file (None = all). Rows are 1-based data rows, header not counted
    (line = row + 1).
    """
    summary = RichTable(title="导入结果 Import", show_lines=False)
    for col in (
        "文件 file",
        "格式 layout",
        "表 table",
        "行 rows",
        "写入 written",
        "拒绝行 rejected rows",
        "警告 warnings",
        "参考 reference",
    ):
        summary.add_column(col)
    parts: list[RenderableType] = [summary]
    for r in results:
        ref = ", ".join(f"{k} ({v.height})" for k, v in r.reference.items())
        rows = " + ".join(f"{t} {f.height}" for t, f in r.tables().items()) or "0"
        outcome = r.outcome
        written: str | Text = ", ".join(f"{t} {n}" for t, n in r.written.items()) or "-"
        if outcome in FAILED_OUTCOMES:
            written = Text(OUTCOME_TEXT[outcome], style="bold red")
        elif outcome in (Outcome.UNCHANGED, Outcome.REFERENCE):
            written = (
                OUTCOME_TEXT[outcome]
                if outcome is Outcome.REFERENCE
                else f"{written} — {OUTCOME_TEXT[outcome]}"
            )
        summary.add_row(
            r.path.name,
            r.layout,
            r.table or "-",
            rows,
            written,
            Text(str(r.rejected_rows), style="red" if r.rejected else ""),
            Text(str(len(r.warnings)), style="yellow" if r.warnings else ""),
            ref or "-",
        )
        if r.rejected:
            detail = RichTable(
                title=f"拒绝的行 rejected rows — {r.path.name}: {r.rejected_rows} 行 rows, {len(r.rejected)} 个问题 "
                "issues (row = 数据行号, 不含表头)",
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
            keys = _keys(ws)
            if keys:
                text += f" — {keys}"
            if rows_list:
                text += f" — rows {_ranges(rows_list)}"
            parts.append(Text.assemble((f"警告 warning {r.path.name} {rule}", "yellow"), text))
    return Group(*parts)
