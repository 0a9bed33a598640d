"""The CSV path streams: bounded memory on a large file, line and field limits, and the chunk
boundaries of the streamed reader change nothing (issue 10, part 2)."""

from __future__ import annotations

import csv
import io
import os
import sys

from measure_support import run_measured

from sferum_tui.core.ingest.csv_stream import CHUNK, read_csv_rows
from sferum_tui.core.ingest.limits import Limits

from filemaker import simple_rows, write_big_csv, write_csv

MB = 1 << 20


def _run_measured(tmp_path, *args: str) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, peak RSS in MiB) of the real command in its own process."""
    env = dict(os.environ, SFERUM_TUI_HOME=str(tmp_path / "home"))
    run = run_measured([sys.executable, "-m", "sferum_tui", "--lang", "en", *args], env=env,
                       workdir=tmp_path, timeout=300)
    return run.code, run.out, run.err, run.rss_mb


def test_a_large_csv_is_read_in_bounded_memory(tmp_path):
    """100 MB of national-scale rows, each with a name and an ИНН of its own (nothing to share):
    the raw bytes, the rows and their columns are never all held at once."""
    path = tmp_path / "national_big.csv"
    orgs = write_big_csv(path, 100 * MB)
    size_mb = path.stat().st_size / MB
    config = tmp_path / "config.toml"       # 470k rows: over the default [limits] max_rows
    config.write_text("[limits]\nmax_rows = 1000000\n", encoding="utf-8")
    code, out, err, peak = _run_measured(tmp_path, "--config", str(config), "inspect", str(path))
    assert code == 0, err
    assert f"Organisations: {orgs};" in out
    assert "total rows skipped" in out
    assert peak <= 3 * size_mb + 150, f"peak {peak:.0f} MiB for a {size_mb:.0f} MB CSV"


def test_a_line_over_the_limit_is_refused_in_one_line(tmp_path):
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"\xd0\x90;" * (700 * 1024))  # 2.1 MB and no newline at all
    code, out, err, peak = _run_measured(tmp_path, "inspect", str(path))
    assert code == 1
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert str(path) in err and "line 1 " in err and "1 MiB" in err and "max_csv_line" in err
    assert peak < 200


def test_a_field_over_the_limit_names_its_line(tmp_path):
    rows = simple_rows()
    rows[4][3] = "Ш" * 70_000
    path = write_csv(tmp_path / "long_field.csv", rows)
    code, out, err, _ = _run_measured(tmp_path, "inspect", str(path))
    assert code == 1 and err.strip().count("\n") == 0 and "Traceback" not in err
    assert str(path) in err and "line 5:" in err and "65536" in err and "max_csv_field" in err


def test_limits_are_taken_from_the_argument(tmp_path):
    from sferum_tui.core.errors import InputFileError
    from sferum_tui.core.ingest.reader import load_sheets

    path = write_csv(tmp_path / "w.csv", simple_rows())
    load_sheets(path)  # the defaults let it through
    try:
        load_sheets(path, Limits(max_csv_line=200))  # the header line is 270 bytes
    except InputFileError as exc:
        assert "строка 2 " in exc.message and "200 B" in exc.message
    else:
        raise AssertionError("a 40-byte line limit was not applied")


def _plain_rows(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=";"))


def test_chunk_boundaries_change_nothing(tmp_path):
    """\\r\\n, a quoted field holding a newline and a two-byte letter, each cut by a chunk
    boundary, give the rows the csv module gives for the whole text."""
    base = "".join(f"{k};Школа №{k};0527{k:06d}\r\n" for k in range(30_000)).encode()
    base = base[: CHUNK - 7]
    base = base[: base.rfind(b"\r\n") + 2]
    tails = [b"x" * 5 + b";\"a\r\n", b"xxxxx;\"a\r\nb\";2\r\n", b"xxxx;\xd0\x96;1\r\n"]
    for pad in range(8):
        for tail in tails:
            data = base + b"y" * pad + tail + b"end;1\r\n"
            if data.count(b'"') % 2:
                data += b'"\r\n'
            _, _, got = read_csv_rows("t.csv", data)
            assert got == _plain_rows(data, "utf-8"), (pad, tail)


def test_windows_1251_found_after_the_first_chunk(tmp_path):
    """The first non-ASCII byte comes after the first MiB: the file is read again as cp1251."""
    rows = simple_rows()
    text = "\r\n".join(";".join(str(v) for v in r) for r in rows[:2]) + "\r\n"
    filler = "".join(f"{k};N{k};0527{k:06d};Active;1;1;1;1;1;1;1;1;1\r\n" for k in range(60_000))
    data = (text.encode("ascii", "ignore") + filler.encode() + "Школа;1\r\n".encode("cp1251"))
    assert len(data) > CHUNK
    enc, delim, got = read_csv_rows("w.csv", data)
    assert enc == "cp1251" and delim == ";"
    assert got[-1] == ["Школа", "1"]


def test_a_table_over_the_cell_limit_is_refused(tmp_path):
    """Empty lines and empty fields cost memory too: the CSV's cells count against the same
    sheet-area limit as a workbook's."""
    from sferum_tui.core.errors import InputFileError
    from sferum_tui.core.ingest.reader import load_sheets

    path = tmp_path / "empty_lines.csv"
    path.write_bytes(b"a;b\r\n" + b"\r\n" * 20_000)
    load_sheets(path)
    try:
        load_sheets(path, Limits(max_sheet_cells=10_000))
    except InputFileError as exc:
        assert str(path) in exc.message and "[limits] max_sheet_cells" in exc.message
        assert exc.message.count("\n") == 0
    else:
        raise AssertionError("20,001 rows passed a 10,000-cell limit")


def test_rows_read_as_columns_behave_as_a_list_of_dicts(tmp_path, capsys):
    from sferum_tui.cli import main
    from sferum_tui.core.ingest.reader import read_weekly

    path = write_csv(tmp_path / "w.csv", simple_rows(share=True))
    res = read_weekly(path)
    rows = list(res.rows)
    assert len(res.rows) == 5 and res.rows == rows and rows == res.rows
    assert res.rows[-1] == rows[4] and res.rows[1:3] == rows[1:3] and res.rows[::2] == rows[::2]
    assert res.rows[0]["org_name"] == "МКОУ «Сергокалинская СОШ №1»" and res.rows[0]["users_total"] == 1234
    assert res.rows.column("status") == [r["status"] for r in rows]
    assert main(["inspect", "--json", str(path)]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["rows"] == rows
