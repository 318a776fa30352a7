"""``factaid batch`` and the row loop it shares with ``python -m eval`` (factaid/rows.py), without Ray:
reading input lines (bad lines become rows that carry their error), the loop's file handling, the
``--ray`` argument, and one batch over the real pipeline, resumed. tests/test_ray.py runs on Ray.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

import factaid
from factaid import batch, cli, rows
from factaid.errors import FactaidError, InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "factaid/examples/brenmoor_valley_post.txt"  # relative to ROOT: read as a path, not as text
NEWS = (
    "The city council approved the new harbour plan on Monday. The plan costs 12 million euros. "
    "Work on the harbour will start in May. Local fishermen welcomed the decision."
)


def batch_lines() -> list[str]:
    """Two good lines (text with a summary; a relative path, summarized) around three bad ones."""
    return [
        json.dumps({"id": "harbour", "documents": [NEWS], "summary": "The council approved a harbour plan."}),
        "not json {",
        json.dumps({"id": "nodocs", "summary": "The plan costs 12 million euros."}),
        "",
        json.dumps({"id": "missing", "documents": ["no/such/file.txt"]}),
        json.dumps({"id": 7, "documents": [EXAMPLE]}),
    ]


# ----------------------------------------------------------------------------- input lines


def test_a_line_that_is_no_row_becomes_a_row_holding_its_error():
    assert batch.parse_line("   ", 3) is None
    assert batch.parse_line('{"documents": ["a"]}', 4) == {"documents": ["a"], "id": "line4"}
    assert batch.parse_line('{"id": 12, "documents": []}', 1)["id"] == "12"
    broken = batch.parse_line('{"id": "a", ', 5)
    assert broken["id"] == "line5" and broken["error"].startswith("line 5: not a JSON line")
    assert batch.parse_line("[1, 2]", 6) == {
        "id": "line6",
        "error": "line 6: expected a JSON object, not list",
    }
    assert "must be a string or a number" in batch.parse_line('{"id": [1]}', 7)["error"]


def test_duplicate_ids_refuse_the_whole_file_before_any_check(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "documents": ["x"]}\n\n{"id": "b"}\n{"id": "a"}\n')
    with pytest.raises(InputError, match=r"in.jsonl:4: id 'a' again \(first on line 1\)"):
        batch.read_batch(source)
    source.write_text('{"id": "a", "documents": ["One line\u2028the same line"]}\n', encoding="utf-8")
    assert batch.read_batch(source) == [{"id": "a", "documents": ["One line\u2028the same line"]}]


def test_check_row_refuses_rows_without_documents_or_with_a_summary_that_is_not_text():
    with pytest.raises(InputError, match="'documents' must be a list.*the line has \\['id', 'summary'\\]"):
        batch.check_row({"id": "a", "summary": "x"})
    with pytest.raises(InputError, match="'documents' must be a list"):
        batch.check_row({"id": "a", "documents": "one.txt"})
    with pytest.raises(InputError, match="'summary' must be a string"):
        batch.check_row({"id": "a", "documents": ["x"], "summary": 3})
    with pytest.raises(InputError, match="not a JSON line"):
        batch.check_row({"id": "line2", "error": "line 2: not a JSON line (...)"})


# ----------------------------------------------------------------------------- the loop's parts


def test_score_safely_puts_the_id_first_and_records_bad_input_as_the_rows_error():
    assert list(rows.score_safely(lambda row: {"b": 1, "id": "stray"}, {"id": "r1"})) == ["id", "b"]

    def refuse(row: dict) -> dict:
        raise InputError("empty document")

    assert rows.score_safely(refuse, {"id": "r2"}) == {"id": "r2", "error": "InputError: empty document"}


def test_load_done_drops_truncated_and_repeated_lines_and_keeps_what_slim_keeps(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "x": 1}\n{"id": "b", "error": "E"}\n{"id": "a", "x": 2}\n{"id": "c", "x"')
    done = rows.load_done(path, slim=lambda result: {"id": result["id"]})
    assert done == {"a": {"id": "a"}, "b": {"id": "b"}}
    assert path.read_text() == '{"id": "a", "x": 1}\n{"id": "b", "error": "E"}\n'
    path.write_text('{"id": "a"}')  # complete, but a newline short: the next append would join it
    assert rows.load_done(path) == {"a": {"id": "a"}} and path.read_text() == '{"id": "a"}\n'


def test_ray_addresses_and_how_many_actors_with_how_many_threads():
    for address in ("local", "auto", "ray://head.example.org:10001", "10.0.0.5:6379", "127.0.0.1:6379"):
        assert rows.ray_address(address) == address
    for wrong in ("in.jsonl", "ray://head", "http://head:8265", "head:port"):
        with pytest.raises(InputError, match="expected auto, ray://HOST:PORT or HOST:PORT"):
            rows.ray_address(wrong)
    assert rows.host_port("ray://head.example.org:10001") == ("head.example.org", 10001)
    assert rows.host_port("10.0.0.5:6379") == ("10.0.0.5", 6379) and rows.host_port("auto") is None
    assert rows.actor_plan([2.0], None) == (2, 1)  # one actor per CPU, one thread each
    assert rows.actor_plan([2.0], 1) == (1, 2)  # as --workers 1: every core for the one worker
    assert rows.actor_plan([8.0, 4.0], 3) == (3, 4)
    assert rows.actor_plan([8.0, 4.0], 1) == (1, 8)  # never more threads than the largest node has
    assert rows.actor_plan([0.0], 2) == (2, 1)  # a head without CPUs, workers yet to come
    assert (
        rows.last_line("Traceback ...\n  File x\nModelLoadError: no model\n\n") == "ModelLoadError: no model"
    )


def test_without_ray_installed_ray_ends_with_one_line_saying_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    with pytest.raises(FactaidError, match='pip install "factaid\\[ray\\]"'):
        rows.require_ray()
    source = tmp_path / "in.jsonl"
    source.write_text(batch_lines()[0] + "\n")
    assert cli.main(["batch", str(source), "-o", str(tmp_path / "out.jsonl"), "--ray"]) == 2
    err = capsys.readouterr().err
    assert err == 'factaid: error: --ray needs Ray, an optional extra: pip install "factaid[ray]"\n'
    assert not (tmp_path / "out.jsonl").exists()

    from eval.__main__ import main as eval_main

    data = tmp_path / "c.jsonl"
    data.write_text(json.dumps({"id": "a", "document": NEWS, "summary": "A plan.", "label": 1}) + "\n")
    assert eval_main(["consistency", "--data", str(data), "--out", str(tmp_path / "run"), "--ray"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        'error: --ray needs Ray, an optional extra: pip install "factaid[ray]"'
    )


def test_an_address_where_nothing_listens_is_refused_at_once(tmp_path, capsys):
    with socket.socket() as probe:  # a port just freed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = tmp_path / "in.jsonl"
    source.write_text(batch_lines()[0] + "\n")
    output = tmp_path / "out.jsonl"
    assert cli.main(["batch", str(source), "-o", str(output), "--ray", f"ray://127.0.0.1:{port}"]) == 2
    assert f"--ray ray://127.0.0.1:{port}: nothing answers there" in capsys.readouterr().err
    assert not output.exists() or not output.read_text()  # no line written


def test_batch_refuses_a_missing_input_and_writing_over_it(tmp_path, capsys):
    assert cli.main(["batch", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "out.jsonl")]) == 2
    assert capsys.readouterr().err == f"factaid: error: {tmp_path / 'none.jsonl'}: no such file\n"
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n")
    assert cli.main(["batch", str(source), "-o", str(source)]) == 2
    assert "the output must be another file than the input" in capsys.readouterr().err
    assert cli.main(["batch", str(source), "-o", str(tmp_path / "o.jsonl"), "--ray", "in.jsonl"]) == 2
    assert "put --ray after the input file" in capsys.readouterr().err


# ----------------------------------------------------------------------------- a batch, checked for real


def read_output(path: Path) -> dict[str, dict]:
    """Output lines by id, each id once."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert len(by_id) == len(lines), "an id written twice"
    return by_id


def test_batch_writes_a_report_or_an_error_per_line_and_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(batch_lines()) + "\n")
    assert cli.main(["batch", str(source), "-o", str(output)]) == 0
    assert capsys.readouterr().err.endswith(f"factaid: 5 lines done, 3 with an error, in {output}\n")
    found = read_output(output)
    assert sorted(found) == ["7", "harbour", "line2", "missing", "nodocs"]
    assert found["line2"]["error"].startswith("InputError: line 2: not a JSON line")
    assert found["nodocs"] == {
        "id": "nodocs",
        "error": "InputError: 'documents' must be a list of file paths, URLs or texts; the line has "
        "['id', 'summary']",
    }
    assert found["missing"]["error"].startswith("InputError: no such file: no/such/file.txt")
    # A good line is the JSON report of the same check, with its id.
    expected = factaid.check([NEWS], summary="The council approved a harbour plan.").to_dict()
    assert found["harbour"] == {"id": "harbour", **json.loads(json.dumps(expected))}
    assert found["7"]["summary_origin"] == "extractive" and found["7"]["claims"]
    assert found["7"]["sources"][0]["origin"].endswith("brenmoor_valley_post.txt")

    before = output.read_text()
    assert cli.main(["batch", str(source), "-o", str(output)]) == 0  # nothing left to check
    assert output.read_text() == before
    source.write_text(source.read_text() + json.dumps({"id": "new", "documents": [NEWS]}) + "\n")
    assert cli.main(["batch", str(source), "-o", str(output)]) == 0  # only the new line is checked
    assert output.read_text().startswith(before)
    assert sorted(read_output(output)) == ["7", "harbour", "line2", "missing", "new", "nodocs"]
