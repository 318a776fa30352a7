"""The LLM half against real servers: llama.cpp's OpenAI-compatible server with the bundled Gemma for an
abstractive check and an LLM-judged check end to end, and small local HTTP servers for the failures a
real server gives (an unknown model, a body that is not JSON, answers the judge cannot use)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from processes import stop

import factaid
from factaid import cli, judge, llm, models
from factaid.errors import LLMError
from factaid.types import JUDGE_ANSWERS, CheckSettings

REPO = Path(__file__).resolve().parents[1]
SERVER_KEY = "test-key-of-the-llama-server"
SUMMARY = "A freight train carrying wheat derailed on the rail bridge outside Brenmoor. Nobody was killed."
EXAMPLE_WORDS = ("train", "rail", "Brenmoor", "wheat", "Tessel", "Castell", "bridge", "wagons", "spill")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_settings(url: str, **fields) -> CheckSettings:
    return CheckSettings(llm_url=url, llm_model="gemma", llm_timeout=60, llm_retries=0, **fields)


# ----------------------------------------------------------------------------- llama.cpp's server


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the bundled Gemma GGUF on a free port of 127.0.0.1, asking for
    an API key; yields its base URL."""
    pytest.importorskip("llama_cpp.server", reason="needs the llm extra: pip install 'factaid[llm]'")
    gguf = models.gguf_path("gemma-270m")
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "2048", "--api_key", SERVER_KEY]
    # Passive OpenMP waiting, as factaid sets for itself: spinning threads stall on a busy machine.
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                request = urllib.request.Request(
                    f"{url}/models", headers={"Authorization": f"Bearer {SERVER_KEY}"}
                )
                with urllib.request.urlopen(request, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(process, timeout=20)


@pytest.mark.slow
def test_abstractive_check_through_a_llama_cpp_server(llama_server, bundled_paths, monkeypatch):
    monkeypatch.setenv("FACTAID_LLM_API_KEY", SERVER_KEY)
    settings = server_settings(llama_server, mode="abstractive", summary_sentences=2)
    report = factaid.check([str(p) for p in bundled_paths], settings=settings)
    assert report.summary_origin == "abstractive"
    assert report.summary_model == f"gemma at {llama_server}"
    assert report.claims and report.summary.rstrip().endswith((".", "!", "?")), report.summary
    assert any(word in report.summary for word in EXAMPLE_WORDS), report.summary
    for fmt in ("json", "md", "html"):
        text = factaid.render(report, fmt)
        assert SERVER_KEY not in text, fmt  # the key never reaches a report
        assert f"gemma at {llama_server}" in text, fmt
    assert json.loads(factaid.render(report, "json"))["summary_model"] == f"gemma at {llama_server}"


@pytest.mark.slow
def test_llm_judged_check_through_a_llama_cpp_server(llama_server, bundled_paths, monkeypatch):
    monkeypatch.setenv("FACTAID_LLM_API_KEY", SERVER_KEY)
    report = factaid.check(
        [str(p) for p in bundled_paths], summary=SUMMARY, settings=server_settings(llama_server, judge="llm")
    )
    assert report.judge_model == f"gemma at {llama_server}"
    for claim in report.claims:
        assert len(claim.support) == len(bundled_paths)
        for support in claim.support:
            verdict = support.judge
            assert verdict is not None
            if verdict.decided:  # the LLM's label decided the pair
                assert support.label == JUDGE_ANSWERS[verdict.answer] and verdict.reason
            else:  # its answer could not be used: the verifier's label stands, with the reason
                assert support.label == verdict.verifier_label and verdict.answer == ""
                assert any("the LLM judge's answer was not used" in r for r in support.reasons)
        decided = {s.judge.decided for s in claim.support}
        expected = {frozenset({True}): "llm", frozenset({False}): "verifier"}.get(frozenset(decided))
        assert claim.decided_by == (expected or "llm and verifier")
        assert claim.supported_by == [s.source_id for s in claim.support if s.label == "supported"]
    markdown = factaid.render(report, "md")
    assert "LLM judge" in markdown and "verifier:" in markdown and "decided by" in markdown
    html = factaid.render(report, "html")
    assert "Verifier and LLM judge" in html


@pytest.mark.slow
def test_a_wrong_api_key_is_one_line_naming_the_server(llama_server, bundled_paths, monkeypatch):
    monkeypatch.setenv("FACTAID_LLM_API_KEY", "not-the-key")
    with pytest.raises(LLMError, match=f"the LLM server at {llama_server} refused the API key"):
        factaid.check(
            [str(bundled_paths[0])], summary=SUMMARY, settings=server_settings(llama_server, judge="llm")
        )


# ----------------------------------------------------------------------------- failures


def test_a_server_that_is_down_is_one_line_naming_the_url(bundled_paths, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(LLMError, match=f"cannot reach the LLM server at {url}"):
        factaid.check(
            [str(bundled_paths[0])],
            summary=SUMMARY,
            settings=CheckSettings(llm_url=url, llm_model="m", llm_timeout=5, llm_retries=1, judge="llm"),
        )
    assert time.monotonic() - started < 20
    args = ["check", str(bundled_paths[0]), "--summary", SUMMARY, "--judge", "llm"]
    assert cli.main([*args, "--llm-url", url, "--llm-model", "m", "--llm-timeout", "5"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("factaid: error: cannot reach the LLM server at " + url) and "\n" not in error


class FakeOpenAI(BaseHTTPRequestHandler):
    """An OpenAI-style endpoint that answers as ``server.behaviour`` says."""

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, request))
        behaviour = self.server.behaviour
        if behaviour == "unknown model":
            message = f"The model `{request['model']}` does not exist or you do not have access to it."
            error = {"message": message, "type": "invalid_request_error", "code": "model_not_found"}
            return self._send(404, json.dumps({"error": error}))
        if behaviour == "not json":
            return self._send(200, '{"choices": [{"text": "cut off')
        text = {
            "refusal": "I'm sorry, I cannot judge claims.",
            "bad label": '{"label": "maybe", "reason": "unsure"}',
        }
        reply = text.get(behaviour, '{"label": "contradicted", "reason": "The evidence says otherwise."}')
        choice = {"index": 0, "finish_reason": "stop"}
        if self.path.endswith("/chat/completions"):
            choice["message"] = {"role": "assistant", "content": reply}
            kind = "chat.completion"
        else:  # a completion continues its prompt, which may have begun the answer
            started = judge.ANSWER_START if request["prompt"].endswith(judge.ANSWER_START) else ""
            choice["text"] = reply.removeprefix(started)
            kind = "text_completion"
        body = {"id": "x", "object": kind, "created": 0, "model": request["model"], "choices": [choice]}
        self._send(200, json.dumps(body))

    def _send(self, status: int, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def fake_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    server.behaviour, server.requests = "good", []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_unknown_model_is_one_line_naming_the_url_and_model(fake_server, bundled_paths):
    fake_server.behaviour = "unknown model"
    settings = CheckSettings(llm_url=fake_server.url, llm_model="nope", llm_retries=0, judge="llm")
    with pytest.raises(LLMError) as caught:
        factaid.check([str(bundled_paths[0])], summary=SUMMARY, settings=settings)
    message = str(caught.value)
    assert f"the LLM server at {fake_server.url} does not know model 'nope'" in message
    assert "model_not_found" not in message and "\n" not in message and "does not exist" in message


def test_a_body_that_is_not_json_is_one_line_naming_the_url(fake_server, bundled_paths):
    fake_server.behaviour = "not json"
    settings = CheckSettings(
        mode="abstractive", llm_url=fake_server.url, llm_model="m", llm_retries=0, summary_sentences=2
    )
    with pytest.raises(LLMError, match=f"the LLM server at {fake_server.url} answered something that is not"):
        factaid.check([str(p) for p in bundled_paths], settings=settings)


@pytest.mark.parametrize("behaviour", ["refusal", "bad label"])
@pytest.mark.parametrize("api", ["completion", "chat"])
def test_judge_answers_that_cannot_be_used_keep_the_verifiers_labels(
    fake_server, bundled_paths, behaviour, api
):
    documents = [str(p) for p in bundled_paths]
    plain = factaid.check(documents, summary=SUMMARY)
    fake_server.behaviour = behaviour
    settings = CheckSettings(llm_url=fake_server.url, llm_model="m", llm_retries=0, judge="llm", llm_api=api)
    report = factaid.check(documents, summary=SUMMARY, settings=settings)
    assert [c.label for c in report.claims] == [c.label for c in plain.claims]
    for claim in report.claims:
        assert claim.decided_by == "verifier"
        for support in claim.support:
            assert not support.judge.decided and support.label == support.judge.verifier_label
            assert (
                "not one JSON object" if behaviour == "refusal" else "'maybe' is none of"
            ) in support.judge.reason
    endpoint = "/v1/chat/completions" if api == "chat" else "/v1/completions"
    assert {path for path, _ in fake_server.requests} == {endpoint}
    assert all(request["temperature"] == 0 for _, request in fake_server.requests)


def test_usable_judge_answers_decide(fake_server, bundled_paths):
    """A judge that calls everything contradicted makes every claim contradicted, and says so."""
    settings = CheckSettings(llm_url=fake_server.url, llm_model="m", llm_retries=0, judge="llm")
    report = factaid.check([str(p) for p in bundled_paths], summary=SUMMARY, settings=settings)
    assert report.judge_model == f"m at {fake_server.url}"
    for claim in report.claims:
        assert claim.label == "contradicted" and claim.decided_by == "llm"
        assert claim.contradicted_by == [s.id for s in report.sources] or claim.contradicted_by
        assert all(s.judge.answer == "contradicted" and s.label == "contradicted" for s in claim.support)
        assert "the LLM judge: The evidence says otherwise." in claim.reasons
    (_, prompt), *_ = fake_server.requests
    assert "Claim: A freight train carrying wheat derailed on the rail bridge" in prompt["prompt"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"label": "supported", "reason": "It says so."}', ("supported", "It says so.")),
        (
            '```json\n{"label": "Not in the text", "reason": "No word of it."}\n```',
            ("not in the text", "No word of it."),
        ),
    ],
)
def test_parse_answer_takes_one_json_object(reply, expected):
    assert judge.parse_answer(reply) == expected


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("", "empty"),
        ("Supported.", "not one JSON object"),
        ('{"label": "supported"}', "a label and a reason"),
        ('{"label": "supported", "reason": "x", "confidence": 0.9}', "a label and a reason"),
        ('{"label": "true", "reason": "x"}', "none of"),
        ('{"label": "supported", "reason": ""}', "no reason"),
        ('{"label": "supported", "reason": "a\\nb"}', "one short line"),
        ('{"label": "supported", "reason": "x"} and more', "not one JSON object"),
        ('["supported", "x"]', "a label and a reason"),
    ],
)
def test_parse_answer_refuses_anything_else(reply, why):
    with pytest.raises(ValueError, match=why):
        judge.parse_answer(reply)


def test_the_llm_server_needs_a_model_name_and_an_http_url(bundled_paths):
    with pytest.raises(factaid.InputError, match="--llm-model"):
        llm.get_language_model(CheckSettings(llm_url="http://127.0.0.1:9/v1"))
    with pytest.raises(factaid.InputError, match="not an http"):
        llm.get_language_model(CheckSettings(llm_url="127.0.0.1:9/v1", llm_model="m"))
    assert cli.main(["check", str(bundled_paths[0]), "--llm-url", "http://127.0.0.1:9/v1"]) == 2


def test_llm_url_without_the_openai_client_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # as if it were not installed
    url = f"http://127.0.0.1:{free_port()}/no-openai"
    with pytest.raises(LLMError, match=r"pip install 'factaid\[llm\]'"):
        llm.get_language_model(CheckSettings(llm_url=url, llm_model="m"))


# ----------------------------------------------------------------------------- engines


def test_generated_token_penalty_is_transformers_repetition_penalty():
    """llama.cpp gets the penalty transformers applies: on generated tokens only, never the prompt's."""
    import torch
    from transformers import RepetitionPenaltyLogitsProcessor

    rng = np.random.default_rng(0)
    prompt, generated = [3, 5, 7, 5], [7, 11, 11, 2]
    scores = rng.normal(size=16).astype(np.float32)
    penalty = llm.GeneratedTokenPenalty()
    penalty(np.array(prompt, dtype=np.intc), scores.copy())  # the first call: the prompt alone
    ours = penalty(np.array(prompt + generated, dtype=np.intc), scores.copy())
    theirs = RepetitionPenaltyLogitsProcessor(llm.REPETITION_PENALTY, prompt_ignore_length=len(prompt))(
        torch.tensor([prompt + generated]), torch.tensor(scores[None, :])
    )[0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert not np.allclose(ours, scores)  # it did penalise something: the test can fail
    assert ours[3] == scores[3]  # a prompt token that was not generated keeps its score


def test_gguf_models_go_to_llama_cpp_when_installed(monkeypatch, caplog):
    assert llm.engine(CheckSettings(llm="some/hub-id")) == "transformers"
    assert llm.engine(CheckSettings(llm="gemma-270m", llm_engine="transformers")) == "transformers"
    assert llm.engine(CheckSettings(llm_url="http://127.0.0.1:1/v1", llm_model="m")) == "server"
    monkeypatch.setattr(models, "llama_cpp_installed", lambda: False)
    with caplog.at_level("WARNING"):
        assert llm.engine(CheckSettings(llm="gemma-270m")) == "transformers"
    assert "pip install 'factaid[llm]'" in caplog.text


@pytest.mark.slow
def test_llama_cpp_engine_writes_sentences_and_streams(bundled_paths, embedder):
    pytest.importorskip("llama_cpp", reason="needs the llm extra: pip install 'factaid[llm]'")
    streamed: list[str] = []
    settings = CheckSettings(
        mode="abstractive",
        summary_sentences=2,
        llm_engine="llama.cpp",
        model_kwargs={"on_text": streamed.append},
    )
    report = factaid.check([str(p) for p in bundled_paths], settings=settings)
    assert report.summary_model == "gemma-270m (llama.cpp)"
    assert report.summary.endswith((".", "!", "?")) and len(report.summary.split()) >= 5, report.summary
    assert streamed and report.summary.split()[0] in "".join(streamed)
    again = factaid.check([str(p) for p in bundled_paths], settings=settings)
    assert again.summary == report.summary  # greedy decoding: the same summary every time


def test_a_cold_extractive_check_imports_no_llm_client(bundled_paths):
    code = (
        "import sys\n"
        "from factaid.cli import main\n"
        f"assert main(['check', {str(bundled_paths[0])!r}, '-o', {os.devnull!r}]) == 0\n"
        "print(sorted(m for m in ('llama_cpp', 'openai') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_a_gguf_path_goes_to_llama_cpp_and_a_missing_one_is_refused(tmp_path):
    pytest.importorskip("llama_cpp", reason="needs the llm extra: pip install 'factaid[llm]'")
    path = str(models.gguf_path("gemma-270m"))
    model = llm.get_language_model(CheckSettings(llm=path))
    assert isinstance(model, llm.LlamaCppModel) and model.name == f"{path} (llama.cpp)"
    assert model.count_tokens("Nobody was killed.") == 4  # "Nobody", " was", " killed", "."
    with pytest.raises(factaid.ModelLoadError, match="no GGUF file at"):
        llm.get_language_model(CheckSettings(llm=str(tmp_path / "absent.gguf")))
    with pytest.raises(factaid.ModelLoadError, match="no GGUF file at"):
        llm.get_language_model(CheckSettings(llm=str(tmp_path / "absent.gguf"), llm_engine="transformers"))
