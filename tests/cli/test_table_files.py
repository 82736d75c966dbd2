"""Census files as field offices send them: the CLI names the real problem, and reads GBK CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from diagnostics.census_template import census_questions
from diagnostics.table_files import TableFileProblem, read_table_file
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
