"""Detection quality on the labelled sample, and the two engines agreeing exactly.

The sample (shared/data/logs-sample.jsonl, next to the repository) holds 160
labelled snippets. An entry counts as recalled when a finding carries its
category; a benign entry counts as flagged when it gets any finding. The bars:
recall at least 0.90, at most 2% of benign entries flagged.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockerforge_tui.services.logs import available_engines, default_patterns, detect
from dockerforge_tui.services.logs.pattern_set import ordinary_log_text

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT.parent / "shared" / "data" / "logs-sample.jsonl"
MIN_RECALL = 0.90
MAX_FLAGGED_BENIGN = 0.02


def load_sample() -> list[dict]:
    if not SAMPLE.is_file():
        pytest.fail(f"the labelled sample is missing: {SAMPLE} (shared/data must sit next to the repository)", pytrace=False)
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Quality:
    recall: float
    flagged_benign: float
    missed: list[str]
    flagged: list[str]


def measure(entries: list[dict], engine: str) -> Quality:
    failures = [entry for entry in entries if entry["category"] is not None]
    benign = [entry for entry in entries if entry["category"] is None]
    missed, flagged = [], []
    for entry in failures:
        categories = {finding.category for finding in detect(entry["lines"], engine=engine)}
        if entry["category"] not in categories:
            missed.append(f"{entry['id']} ({entry['category']}): got {sorted(categories)}")
    for entry in benign:
        findings = detect(entry["lines"], engine=engine)
        if findings:
            flagged.append(f"{entry['id']}: {[(f.category, f.message[:80]) for f in findings]}")
    return Quality(
        recall=1 - len(missed) / len(failures),
        flagged_benign=len(flagged) / len(benign),
        missed=missed,
        flagged=flagged,
    )


@pytest.mark.parametrize("engine", available_engines())
def test_recall_and_false_positives_meet_the_bar(engine: str, record_property) -> None:
    quality = measure(load_sample(), engine)
    record_property("recall", round(quality.recall, 4))
    record_property("flagged_benign", round(quality.flagged_benign, 4))
    print(f"\n[{engine}] recall {quality.recall:.3f}, benign flagged {quality.flagged_benign:.3f}")
    assert quality.recall >= MIN_RECALL, "recall below the bar; missed:\n" + "\n".join(quality.missed)
    assert quality.flagged_benign <= MAX_FLAGGED_BENIGN, "too many benign entries flagged:\n" + "\n".join(quality.flagged)


def test_sample_gives_the_same_findings_with_both_engines() -> None:
    if "hyperscan" not in available_engines():
        pytest.skip("the hyperscan package is not installed; only the Python engine exists here")
    for entry in load_sample():
        assert detect(entry["lines"], engine="hyperscan") == detect(entry["lines"], engine="python"), entry["id"]
    whole = [line for entry in load_sample() for line in entry["lines"]]
    assert detect(whole, engine="hyperscan") == detect(whole, engine="python")


def test_generated_logs_give_the_same_findings_with_both_engines() -> None:
    """The benchmark's generated mix (prefixes, tracebacks, chunk boundaries) agrees line for line."""
    if "hyperscan" not in available_engines():
        pytest.skip("the hyperscan package is not installed; only the Python engine exists here")
    spec = importlib.util.spec_from_file_location("bench_patterns", REPO_ROOT / "benchmarks" / "bench_patterns.py")
    bench = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bench)
    lines = bench.generate_lines(40_000, seed=7, failure_share=0.05)
    assert lines == bench.generate_lines(40_000, seed=7, failure_share=0.05)  # deterministic
    by_hyperscan = detect(lines, engine="hyperscan")
    assert len(by_hyperscan) > 1000
    assert by_hyperscan == detect(lines, engine="python")


@pytest.mark.parametrize("engine", available_engines())
def test_ordinary_logs_raise_nothing(engine: str) -> None:
    """The packaged sample of ordinary log lines (used to pick pre-filter gates) is all benign."""
    lines = ordinary_log_text().splitlines()
    assert detect(lines, default_patterns(), engine=engine) == []


def test_mutated_examples_give_the_same_findings_with_both_engines() -> None:
    """Every pattern example, re-cased, prefixed, glued to another or shifted by non-ASCII text, agrees.

    The Python engine finds literals in lower-cased text with keyed sweeps and checks
    case-sensitive literals at the place it found them; these variants aim at exactly
    that (overlapping and nested literals, letters whose lower case is longer).
    """
    if "hyperscan" not in available_engines():
        pytest.skip("the hyperscan package is not installed; only the Python engine exists here")
    import random

    rng = random.Random(4)
    examples = [line for pattern in default_patterns() for snippet in pattern.examples_match + pattern.examples_no_match for line in snippet]
    mutations = [
        str.upper, str.lower, str.title, str.swapcase,
        lambda line: "api-1  | " + line,
        lambda line: "2024-01-04T10:20:31.508921337Z " + line,
        lambda line: "İstanbul ﬁle " + line,  # both lower-case to longer text
        lambda line: line + " " + rng.choice(examples),
        lambda line: rng.choice(examples)[:12] + line,
        lambda line: line.replace(" ", "  ", 1),
        lambda line: line[: len(line) // 2] + "\u00e9" + line[len(line) // 2 :],
    ]  # fmt: skip
    lines = [mutate(line) for line in examples for mutate in mutations]
    rng.shuffle(lines)
    assert len(lines) > 5000
    by_hyperscan = detect(lines, engine="hyperscan")
    assert len(by_hyperscan) > 1000
    assert by_hyperscan == detect(lines, engine="python")
    # Findings keep one pattern per category and unit; the engines' raw matches must agree too.
    from dockerforge_tui.services.logs import engine_hyperscan, engine_python

    assert engine_hyperscan.scan(lines, default_patterns()) == engine_python.scan(lines, default_patterns())
