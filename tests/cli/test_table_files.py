"""Census files as field offices send them: the CLI names the real problem, and reads GBK CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import cli
from diagnostics.census_template import census_questions
from diagnostics.table_files import (
    _CONTROL_CHARS,
    TableFileProblem,
    _may_hold_controls,
    _without_controls,
    read_table_file,
)
from diagnostics.text import CONTROL
from diagnostics.uscc import make_uscc
from tests.cli.test_census_cli import as_cells
from tests.diagnostics.sme import SME, answers, full_foundation, scenarios

USCC = make_uscc("91360200MA35GBKX0")


def _census_csv(encoding: str) -> bytes:
    ids = [q.id for q in census_questions(SME)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["uscc", "name", *ids])
    writer.writeheader()
    cells = as_cells(answers(full_foundation(), scenarios(2)))
    writer.writerow({"uscc": USCC, "name": "景德镇青花瓷业有限公司", **cells})
    return out.getvalue().encode(encoding)


def _score(tmp_path: Path, name: str, data: bytes) -> tuple[int, str]:
    src = tmp_path / name
    src.write_bytes(data)
    result = CliRunner().invoke(cli, ["score", "--questionnaire", SME.code, "--answers", str(src),
                                      "--out", str(tmp_path / "out.csv")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_gbk_csv_from_excel_on_chinese_windows_is_read(tmp_path: Path) -> None:
    code, output = _score(tmp_path, "census.csv", _census_csv("gbk"))
    assert code == 0, output
    assert "景德镇青花瓷业有限公司" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("name", "data", "says"), [
    ("census.xlsx", b"uscc,name\n91360200MA35XY120X,x\n", "rename it to .csv"),
    ("census.xlsx", b"PK\x03\x04 this is not really a zip", "damaged"),
    ("census.csv", b"", "empty"),
    ("census.xlsx", b"", "empty"),
    ("census.csv", b"PK\x03\x04\x14\x00", "rename it to .xlsx"),
    ("census.ods", b"anything", "unsupported file type"),
])
def test_the_cli_names_the_real_problem(tmp_path: Path, name: str, data: bytes, says: str) -> None:
    code, output = _score(tmp_path, name, data)
    assert code != 0 and says in output and "Traceback" not in output


def test_a_zip_that_is_not_a_workbook_is_named(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    path = tmp_path / "census.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(TableFileProblem, match="not an Excel workbook"):
        read_table_file(path)


def _census_rows(name: str, encoding: str = "utf-8", header_only: bool = False) -> bytes:
    ids = [q.id for q in census_questions(SME)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["uscc", "name", *ids])
    writer.writeheader()
    if not header_only:
        writer.writerow({"uscc": USCC, "name": name, **as_cells(answers(full_foundation(), scenarios(2)))})
    return out.getvalue().encode(encoding)


def test_a_gb18030_csv_with_characters_gbk_lacks_is_read(tmp_path: Path) -> None:
    name = "𠀀陶瓷有限公司"  # U+20000: in GB18030 (four bytes), not in GBK
    code, output = _score(tmp_path, "census.csv", _census_rows(name, "gb18030"))
    assert code == 0, output
    assert name in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_a_file_with_a_header_and_no_rows_says_so(tmp_path: Path) -> None:
    code, output = _score(tmp_path, "census.csv", _census_rows("x", header_only=True))
    assert "Traceback" not in output and "scored 0 rows" in output and "rejected 0" in output


def test_nul_bytes_in_a_csv_are_removed_with_a_warning(tmp_path: Path) -> None:
    code, output = _score(tmp_path, "census.csv", _census_rows("景德镇\x00瓷业"))
    assert code == 0 and "Traceback" not in output, output
    assert "control characters (NUL and the like) removed from 1 cells" in output
    assert "景德镇瓷业" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_a_1_mb_cell_in_xlsx_output_is_cut_with_a_warning_and_a_note(tmp_path: Path) -> None:
    """Excel holds 32,767 characters a cell: the CLI says which row and column were cut, and the cell
    ends with a note; control characters are dropped, not written as ``_x0001_``."""
    long_name = "瓷" * 1_000_000
    src = tmp_path / "census.csv"
    src.write_bytes(_census_rows(long_name))
    control = tmp_path / "control.csv"
    control.write_bytes(_census_rows("青花\x01瓷业\x1f有限公司"))
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["score", "--questionnaire", SME.code, "--answers", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: sheet 'scores' row 2, column 2 'name': 1,000,000 characters, cut to Excel's cell limit" \
        in result.output
    cell = openpyxl.load_workbook(out, read_only=True)["scores"]["B2"].value
    assert len(cell) == 32767 and cell.startswith("瓷" * 30000) and cell.endswith("a cell holds 32,767］")
    result = CliRunner().invoke(cli, ["score", "--questionnaire", SME.code, "--answers", str(control),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out)["scores"]["B2"].value == "青花瓷业有限公司"
    with zipfile.ZipFile(out) as archive:
        assert not [n for n in archive.namelist() if b"_x00" in archive.read(n)]


def test_control_characters_are_found_in_any_column_and_nowhere_else() -> None:
    """Each column is scanned joined (one regex pass) before its cells are: a clean column is left as
    it is; a dirty one loses exactly its control characters and XLSX escapes, counted per cell; two
    cells whose ends only look like an escape when joined (``_x00`` then ``1_``) are not touched."""
    frame = pd.DataFrame({
        "clean": ["景德镇", "瓷业", ""] * 2,
        "split": ["a_x00", "1_b", "c"] * 2,
        "dirty": ["青花\x01瓷", "ok", "_x001F_x"] * 2,
    })
    out = _without_controls(frame.copy())
    assert out["clean"].tolist() == frame["clean"].tolist() and out["split"].tolist() == frame["split"].tolist()
    assert out["dirty"].tolist() == ["青花瓷", "ok", "x"] * 2
    assert out.attrs["controls_removed"] == 4


def test_the_quick_search_knows_every_character_the_control_rule_removes() -> None:
    """``_may_hold_controls`` looks for the characters of ``text.CONTROL`` one by one: if the rule ever
    names another character, the list must hold it too, or a clean-looking file would keep it."""
    named = [chr(i) for i in range(0x10000) if CONTROL.match(chr(i))]
    assert sorted(_CONTROL_CHARS) == named
    assert not _may_hold_controls("景德镇,3;4,是\n_x0,01_\n") and _may_hold_controls("a_x001F_b")
