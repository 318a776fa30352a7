"""Batch evaluation of factaid on benchmark files: ``python -m eval TASK --data FILE.jsonl``.

Tasks: ``consistency`` (summary-level, SummaC protocol), ``evidence`` (WiCE evidence linking and claim
verdicts), ``summary`` (ROUGE against references, Lead-3 beside), ``check`` (full JSON reports).
Every run is resumable: finished rows live in ``DIR/rows.jsonl``; metrics go to ``DIR/metrics.json|md``.
Commands with options of their own: ``calibrate`` (the verifier's weights), ``train-checker``, ``bench``
(speed), ``summary-cv`` (the extractive summary's signals, cross-validated) and ``event-summaries``
(several outlets' reports of one event, summarized and checked).
"""
