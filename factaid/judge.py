"""The optional LLM judge (``CheckSettings.judge == "llm"``): after the built-in verifier, a language model
reads each claim beside the evidence retrieved from each source and answers, as JSON, "supported",
"contradicted" or "not in the text" with a one-line reason.

Its answer is validated strictly (one JSON object with a known label and a short one-line reason). A
usable answer becomes the pair's label; an unusable one (not JSON, another label, a refusal) keeps the
verifier's label and says why, so a weak or unwilling model never stops a check. Both verdicts stay in
the report (``SourceSupport.judge``), and ``Claim.decided_by`` says whose labels the claim's verdict
rests on. The claim's verdict over its sources follows the verifier's rule (supported by any source,
else contradicted by any, else unsupported); its support probability stays the verifier's.
"""

from __future__ import annotations

import json
import logging
import re
from string import Template

from . import llm, verify
from .types import JUDGE_ANSWERS, CheckSettings, Claim, LLMVerdict, SourceSupport

log = logging.getLogger(__name__)

PROMPT_FILE = "judge_claim.txt"  # few-shot JSON lines to complete: base models and every backend
CHAT_PROMPT_FILE = "judge_claim_chat.txt"  # an instruction, for chat models (llm_api="chat")
MAX_ANSWER_TOKENS = 96  # a JSON object with a one-line reason
# A completion prompt's answer starts with this, written for the model: the bundled base model, asked to
# continue "Answer:", wrote a bare string ("The evidence says ...") for every question of the example
# articles, though every example answer in the prompt was a JSON object. The rest must still be valid JSON.
ANSWER_START = '{"label": "'
MAX_REASON_CHARS = 300
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def parse_answer(text: str) -> tuple[str, str]:
    """(answer, reason) from the judge's reply: one JSON object (a Markdown code fence around it is
    allowed) holding exactly "label", one of JUDGE_ANSWERS, and "reason", a short one-line string.
    Anything else raises ValueError saying what is wrong."""
    text = text.strip()
    fenced = _FENCE.match(text)
    text = fenced.group(1) if fenced else text
    if not text:
        raise ValueError("the answer was empty")
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"the answer was not one JSON object: {_short(text)!r}") from None
    if not isinstance(found, dict) or set(found) != {"label", "reason"}:
        raise ValueError(f"the answer was not a JSON object of a label and a reason: {_short(text)!r}")
    label, reason = found["label"], found["reason"]
    if not isinstance(label, str) or label.strip().lower() not in JUDGE_ANSWERS:
        raise ValueError(f"the answer's label {label!r} is none of {', '.join(map(repr, JUDGE_ANSWERS))}")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("the answer gave no reason")
    if "\n" in reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise ValueError(f"the answer's reason is not one short line: {_short(reason)!r}")
    return label.strip().lower(), reason.strip()


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LLMJudge:
    """Asks one language model about every claim and source, with the prompt its API takes."""

    def __init__(self, model: llm.LanguageModel, api: str = "completion") -> None:
        self.prompt: Template = llm.prompt_for(api, PROMPT_FILE, CHAT_PROMPT_FILE)
        self.model = model
        self.api = api

    def ask(self, claim: str, evidence: str) -> str:
        """The model's raw reply about ``claim`` beside ``evidence``."""
        prompt = self.prompt.safe_substitute(claim=claim, evidence=evidence)
        if self.api == "chat":
            return self.model.chat([{"role": "user", "content": prompt}], MAX_ANSWER_TOKENS)
        rest = self.model.complete(f"{prompt.rstrip()} {ANSWER_START}", MAX_ANSWER_TOKENS, stop=("\n",))
        return ANSWER_START + rest

    def verdict(self, claim: Claim, support: SourceSupport) -> LLMVerdict:
        """The judge's verdict on one claim and source; the verifier's label when it cannot be used."""
        kept = support.label
        if not support.evidence:
            return LLMVerdict("", "no evidence was retrieved from this source to ask about", kept, False)
        reply = self.ask(claim.statement, verify.checker_premise(support.evidence))
        try:
            answer, reason = parse_answer(reply)
        except ValueError as err:
            log.info("LLM judge's answer not used for claim %d, %s: %s", claim.index, support.source_id, err)
            return LLMVerdict("", str(err), kept, False)
        return LLMVerdict(answer, reason, kept, True)

    def judge(self, claims: list[Claim]) -> list[Claim]:
        """Every claim with each source's label set by the judge where its answer was usable."""
        for claim in claims:
            for support in claim.support:
                support.judge = self.verdict(claim, support)
                if support.judge.decided:
                    support.label = JUDGE_ANSWERS[support.judge.answer]
                    support.reasons = [f"the LLM judge: {support.judge.reason}", *support.reasons]
                else:
                    support.reasons.append(
                        f"the LLM judge's answer was not used ({support.judge.reason}); the verifier's "
                        "label stands"
                    )
            decided = [s.judge.decided for s in claim.support]
            claim.decided_by = "llm" if all(decided) else "llm and verifier" if any(decided) else "verifier"
            # The verifier's own rule over sources, so that both judges' labels combine alike.
            verify.decide(claim, claim.support)
        return claims


def judge_claims(claims: list[Claim], settings: CheckSettings) -> tuple[list[Claim], str]:
    """The claims judged by the LLM that ``settings`` name, and that model's name for the report."""
    model = llm.get_language_model(settings)
    return LLMJudge(model, settings.llm_api).judge(claims), model.name
