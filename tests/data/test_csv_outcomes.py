"""What became of each imported file (ImportResult.outcome), rows vs issues, keys on every issue, and damaged .gz
files refused by name while the other files of the same import are written."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from thermoquant.data.sources.csv import DamagedFileError, Outcome, import_paths, read_file
from thermoquant.data.sources.csv_read import read_raw
from thermoquant.data.store import Store


def _gz(source: Path, target: Path, keep: float = 1.0) -> Path:
    data = gzip.compress(source.read_bytes())
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def test_truncated_gzip_names_the_file_and_the_cause(test_data: Path, tmp_path: Path) -> None:
    cut = _gz(test_data / "csv" / "603083.csv", tmp_path / "603083.csv.gz", keep=0.5)
    with pytest.raises(DamagedFileError, match=r"603083\.csv\.gz: 压缩文件不完整 / truncated gzip file"):
        read_raw(cut)
    garbage = tmp_path / "bad.csv.gz"
    garbage.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    with pytest.raises(DamagedFileError, match=r"bad\.csv\.gz: 压缩文件已损坏 / damaged gzip file") as caught:
        read_raw(garbage)
    assert isinstance(caught.value.__cause__, gzip.BadGzipFile | zlib.error | EOFError)


def test_a_damaged_gzip_does_not_stop_the_other_files(
    test_data: Path, tmp_path: Path, tmp_store: Store
) -> None:
    cut = _gz(test_data / "csv" / "603083.csv", tmp_path / "603083.csv.gz", keep=0.5)
    whole = _gz(test_data / "csv" / "sz.000025.csv", tmp_path / "sz.000025.csv.gz")
    bad, good = import_paths([cut, whole], tmp_store)
    assert bad.outcome is Outcome.REFUSED and bad.rows_read == 0 and bad.rejected_rows == 0
    assert bad.rejected[0].rule == "unreadable" and "truncated gzip" in bad.rejected[0].reason
    assert good.outcome is Outcome.WRITTEN and good.written["daily_quote"] == good.frame.height > 0
    assert tmp_store.read("daily_quote")["symbol"].unique().to_list() == ["000025.SZ"]


def test_outcomes(test_data: Path, tmp_path: Path, tmp_store: Store) -> None:
    csv = test_data / "csv"
    header_only = tmp_path / "603083.csv"
    header_only.write_text((csv / "603083.csv").read_text(encoding="utf-8").splitlines()[0] + "\n")
    empty, reference, broken = import_paths(
        [header_only, csv / "csi500_breadth_daily.csv", csv / "603083_broken.csv"], tmp_store
    )
    assert empty.outcome is Outcome.NO_ROWS and empty.rows_read == 0
    assert reference.outcome is Outcome.REFERENCE and reference.reference["breadth"].height == 6
    assert broken.outcome is Outcome.WRITTEN
    assert (broken.rejected_rows, len(broken.rejected)) == (2, 3)  # row 3 has two issues, row 5 one
    again = import_paths([csv / "603083_broken.csv"], tmp_store)[0]
    assert again.outcome is Outcome.UNCHANGED and again.written == {"daily_quote": 0}
    dry = import_paths([csv / "603083_broken.csv"], None)[0]
    assert dry.outcome is Outcome.VALIDATED


def test_every_issue_names_symbol_and_date(test_data: Path, tmp_path: Path) -> None:
    qlib = tmp_path / "csi300.txt"
    qlib.write_text("SH601607\t2005-04-08\t2005-06-30\nSHT00018\t2005-04-08\t2005-06-30\n", encoding="utf-8")
    result = read_file(qlib)  # a real line of qlib's csi300.txt.gz: an index code that is not a security
    assert result.rejected_rows == 1 and len(result.rejected) == 2
    assert {i.key for i in result.rejected} == {"SHT00018 2005-04-08"}
    warned = read_file(test_data / "csv" / "sh.000905.csv")
    assert warned.warnings and all(
        w.key and w.key.startswith("000905.SH 20") for w in warned.warnings if w.row
    )
