"""The log pattern database and the engine that runs it.

Every packaged pattern carries examples (lines it must match, near misses it must
not); each is checked in isolation with both engines. The rest covers loading and
validation of user pattern files, line prefixes, multi-line units, context rules
and the literal pre-filter the pure-Python engine relies on.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dockerforge_tui.core.errors import ConfigError, UsageError
from dockerforge_tui.services.logs import (
    Finding,
    PatternSet,
    available_engines,
    default_patterns,
    detect,
    detection_settings,
    load_patterns,
    prepare,
    resolve_engine,
)
from dockerforge_tui.services.logs.engine_hyperscan import loosened, needs_utf8
from dockerforge_tui.services.logs.literals import choose_gates, required_literals
from dockerforge_tui.services.logs.prefixes import anchor_to_message, strip_prefix

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = default_patterns()
ENGINES = available_engines()


def _example_cases():
    for pattern in PACKAGED:
        for engine in ("hyperscan", "python"):
            marks = [] if engine in ENGINES else [pytest.mark.skip(reason="the hyperscan package is not installed")]
            yield pytest.param(pattern.id, engine, id=f"{pattern.id}-{engine}", marks=marks)


@pytest.mark.parametrize(("pattern_id", "engine"), list(_example_cases()))
def test_pattern_examples(pattern_id: str, engine: str) -> None:
    """The pattern alone finds each `match` example and nothing in each `no_match` example."""
    pattern = PACKAGED.get(pattern_id)
    alone = PACKAGED.subset([pattern_id])
    assert pattern.examples_match and pattern.examples_no_match, "every pattern needs both kinds of example"
    for snippet in pattern.examples_match:
        found = detect(list(snippet), alone, engine=engine)
        assert [f.pattern_id for f in found] == [pattern_id], f"expected one finding in {snippet!r}, got {found!r}"
        assert found[0].category == pattern.category
    for snippet in pattern.examples_no_match:
        found = detect(list(snippet), alone, engine=engine)
        assert found == [], f"near miss {snippet!r} was reported: {found!r}"


def test_packaged_patterns_are_consistent() -> None:
    """Ids are unique, categories and severities known, every category has patterns."""
    settings = detection_settings()
    ids = [pattern.id for pattern in PACKAGED]
    assert len(ids) == len(set(ids))
    assert {pattern.category for pattern in PACKAGED} == set(settings.categories)
    assert {pattern.severity for pattern in PACKAGED} <= set(settings.severities)
    for pattern in PACKAGED:
        assert pattern.id.split(".")[0] == pattern.category, "ids start with their category"
        assert pattern.explanation and pattern.recommendations


def test_every_regex_has_a_literal_for_the_prefilter() -> None:
    """Packaged regexes never fall back to "try every line" in the pure-Python engine."""
    ungated = [unit.source for unit in PACKAGED.units if not unit.literals]
    assert ungated == []


def test_gates_cover_every_literal() -> None:
    """Each required literal holds a gate that leads to its unit, so the pre-filter cannot lose a match."""
    gates = PACKAGED.gates()
    for sweep in gates.sweeps:
        assert all(sweep.key in gate for gate in sweep.gates)
        assert not any(sweep.key[:size] == sweep.key[-size:] for size in range(1, len(sweep.key))), sweep.key
    every_gate = gates.all
    for unit in PACKAGED.units:
        for literal in unit.literals:
            assert any(gate in literal and unit.index in units for gate, units in every_gate.items()), literal
    assert len(gates.sweeps) <= 30, "a pass per sweep: the cover should need few of them"


# --- finding shape, prefixes and engines -------------------------------------------------


def test_finding_fields_and_prefixes() -> None:
    """Compose, `docker logs -t` and BuildKit prefixes are ignored; index and message are per line."""
    lines = [
        "api-1  | INFO:     Application startup complete.",
        "api-1  | Killed",
        "2024-01-04T10:20:31.508921337Z Killed",
        "#8 0.512 Killed",
        "web_1     | \x1b[31mKilled\x1b[0m",
        "Killed processes are listed below",
    ]
    found = detect(lines)
    assert [f.line_index for f in found] == [1, 2, 3]
    first = found[0]
    assert isinstance(first, Finding)
    assert (first.category, first.severity, first.pattern_id) == ("out_of_memory", "critical", "out_of_memory.killed_by_sigkill")
    assert first.message == "Killed"
    assert first.explanation and isinstance(first.recommendations, tuple) and first.recommendations
    assert (first.block_start, first.block_end) == (1, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.category = "crash"  # type: ignore[misc]


def test_strip_prefix_shapes() -> None:
    assert strip_prefix("api-1  | hello") == "hello"
    assert strip_prefix("web_1     |     at x") == "    at x"
    assert strip_prefix("2024-01-04T10:20:31.508921337Z hello") == "hello"
    assert strip_prefix("api-1  | 2024-01-04T10:20:31Z hello") == "hello"
    assert strip_prefix("#8 0.412 RUN pip install") == "RUN pip install"
    assert strip_prefix("[pod/api-7d9c/api] hello") == "hello"
    assert strip_prefix("plain line") == "plain line"


def test_accepts_any_iterable_and_trailing_newlines() -> None:
    def generate():
        yield "starting\n"
        yield "Error: listen EADDRINUSE: address already in use :::3000\n"

    found = detect(generate())
    assert [(f.line_index, f.category) for f in found] == [(1, "port_in_use")]
    assert found[0].message == "Error: listen EADDRINUSE: address already in use :::3000"
    assert detect([]) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_line_holding_a_newline_keeps_indexes(engine: str) -> None:
    """A line with an embedded newline must not shift the indexes of the lines after it."""
    lines = ["first\nsecond", "ok", "OSError: [Errno 28] No space left on device"]
    found = detect(lines, engine=engine)
    assert [(f.line_index, f.category) for f in found] == [(2, "disk_full")]


def test_unknown_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        resolve_engine("grep")
    assert resolve_engine("python") == "python"
    assert resolve_engine(None) == ENGINES[0]


def test_works_without_hyperscan_installed(tmp_path: Path) -> None:
    """With the optional package unimportable, the Python engine is chosen and asking for Hyperscan fails cleanly."""
    code = (
        "import sys\n"
        "sys.modules['hyperscan'] = None\n"
        "from dockerforge_tui.services.logs import available_engines, detect\n"
        "from dockerforge_tui.core.errors import UsageError\n"
        "assert available_engines() == ('python',), available_engines()\n"
        "found = detect(['exec /app/server: exec format error'])\n"
        "assert [f.category for f in found] == ['exec_format_error'], found\n"
        "try:\n"
        "    detect(['x'], engine='hyperscan')\n"
        "except UsageError as error:\n"
        "    print('REFUSED', error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "REFUSED" in result.stdout and "not installed" in result.stdout


# --- multi-line units and context ----------------------------------------------------------

TRACEBACK_MISSING_MODULE = [
    "api-1  | Traceback (most recent call last):",
    'api-1  |   File "/app/main.py", line 1, in <module>',
    "api-1  |     import psycopg2",
    "api-1  | ModuleNotFoundError: No module named 'psycopg2'",
    "api-1  | INFO: shutting down",
]


@pytest.mark.parametrize("engine", ENGINES)
def test_traceback_is_one_finding_and_root_cause_wins(engine: str) -> None:
    found = detect(TRACEBACK_MISSING_MODULE, engine=engine)
    assert [(f.category, f.line_index, f.block_start, f.block_end) for f in found] == [("missing_dependency", 3, 0, 3)]


@pytest.mark.parametrize("engine", ENGINES)
def test_unexplained_traceback_is_a_crash(engine: str) -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "/app/main.py", line 3, in <module>',
        "    run()",
        "ValueError: invalid literal for int() with base 10: 'abc'",
    ]
    found = detect(lines, engine=engine)
    assert [(f.category, f.block_start, f.block_end) for f in found] == [("crash", 0, 3)]


@pytest.mark.parametrize("engine", ENGINES)
def test_java_stack_trace_with_specific_cause(engine: str) -> None:
    lines = [
        "2023-10-12 18:20:09.804 ERROR 1 --- [main] com.zaxxer.hikari.pool.HikariPool : Exception during pool initialization.",
        "java.sql.SQLException: Access denied for user 'inventory'@'172.19.0.6' (using password: YES)",
        "\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:130)",
        "\tat com.mysql.cj.jdbc.ConnectionImpl.createNewIO(ConnectionImpl.java:815)",
    ]
    found = detect(lines, engine=engine)
    assert [(f.category, f.line_index) for f in found] == [("auth_failed", 1)]


@pytest.mark.parametrize("engine", ENGINES)
def test_stack_trace_shape_needs_a_frame(engine: str) -> None:
    """An exception-looking line with no stack frame near it is not reported as a crash."""
    assert detect(["IllegalStateException: counters reset at midnight"], engine=engine) == []


def test_context_rules_confirm_and_cancel(tmp_path: Path) -> None:
    (tmp_path / "custom.yaml").write_text(
        """
patterns:
  - id: custom.queue_stalled
    category: timeout
    severity: warning
    regex: 'queue stalled'
    context:
      cancel:
        - {after: 2, regex: 'queue resumed'}
    explanation: The queue stopped moving.
    recommendations: [Check the consumers.]
    examples: {match: ['queue stalled'], no_match: [['queue stalled', 'queue resumed']]}
  - id: custom.retry_exhausted
    category: connection_refused
    severity: error
    regex: '^giving up$'
    context:
      confirm:
        - {before: 2, regex: 'retry \\d+/\\d+'}
    explanation: Retries ran out.
    recommendations: [Check the dependency.]
    examples: {match: [['retry 3/3', 'giving up']], no_match: ['giving up']}
""",
        encoding="utf-8",
    )
    patterns = load_patterns(tmp_path).subset(["custom.queue_stalled", "custom.retry_exhausted"])
    for engine in ENGINES:
        assert [f.pattern_id for f in detect(["queue stalled", "other"], patterns, engine=engine)] == ["custom.queue_stalled"]
        assert detect(["queue stalled", "other", "queue resumed"], patterns, engine=engine) == []
        assert [f.line_index for f in detect(["retry 3/3", "x", "giving up"], patterns, engine=engine)] == [2]
        assert detect(["x", "y", "z", "giving up"], patterns, engine=engine) == []


# --- loading user patterns ---------------------------------------------------------------

USER_PATTERN = """
category: crash
severity: warning
patterns:
  - id: {id}
    regex: ['{regex}']
    explanation: Made for a test.
    recommendations: [Nothing to do.]
    examples: {{match: ['{example}'], no_match: ['nothing here']}}
"""


def test_user_folder_adds_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "10-add.yaml").write_text(
        USER_PATTERN.format(id="custom.widget_exploded", regex=r"widget \d+ exploded", example="widget 7 exploded"),
        encoding="utf-8",
    )
    (tmp_path / "20-override.yml").write_text(
        USER_PATTERN.format(id="out_of_memory.killed_by_sigkill", regex="^Terminated by the reaper$", example="x"),
        encoding="utf-8",
    )
    (tmp_path / "30-disable.yaml").write_text(
        "patterns:\n  - id: crash.go_panic\n    enabled: false\n", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("not a pattern file", encoding="utf-8")
    patterns = load_patterns(tmp_path)
    assert isinstance(patterns, PatternSet)
    assert "custom.widget_exploded" in patterns
    assert "crash.go_panic" not in patterns
    assert len(patterns) == len(PACKAGED)  # one added, one removed, one replaced in place
    overridden = patterns.get("out_of_memory.killed_by_sigkill")
    assert overridden.severity == "warning" and overridden.category == "crash"
    for engine in ENGINES:
        found = detect(["widget 12 exploded", "Killed", "Terminated by the reaper"], patterns, engine=engine)
        assert [(f.line_index, f.pattern_id) for f in found] == [
            (0, "custom.widget_exploded"),
            (2, "out_of_memory.killed_by_sigkill"),
        ]


def test_missing_user_folder_means_packaged_only(tmp_path: Path) -> None:
    assert [p.id for p in load_patterns(tmp_path / "absent")] == [p.id for p in PACKAGED]
    assert [p.id for p in load_patterns(None)] == [p.id for p in PACKAGED]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (USER_PATTERN.format(id="custom.bad_regex", regex="(unclosed", example="x"), "pattern 'custom.bad_regex': regex"),
        (USER_PATTERN.format(id="custom.no_cat", regex="x", example="x").replace("category: crash", "category: gremlins"),
         "pattern 'custom.no_cat': unknown category 'gremlins'"),
        (USER_PATTERN.format(id="custom.bad_sev", regex="x", example="x").replace("severity: warning", "severity: fatal"),
         "pattern 'custom.bad_sev': unknown severity 'fatal'"),
        ("patterns:\n  - id: custom.bare\n    category: crash\n    severity: error\n    regex: x\n",
         "pattern 'custom.bare': needs an 'explanation'"),
        (USER_PATTERN.format(id="custom.typo", regex="x", example="x").replace("    explanation:", "    explanaton: x\n    explanation:"),
         "pattern 'custom.typo': unknown key(s): explanaton"),
        ("patterns: [\n  - id: broken", "not valid YAML"),
        ("just: a mapping\n", "needs a top-level 'patterns:' list"),
    ],
)
def test_bad_user_file_is_a_one_line_config_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_patterns(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_hand_written_literals_are_checked_against_examples(tmp_path: Path) -> None:
    """A literal that a matching example lacks would make the Python engine miss it: rejected at load."""
    content = USER_PATTERN.format(id="custom.lit", regex=r"disk \d+ failed", example="disk 3 failed")
    content = content.replace("    explanation:", "    literals: [broken]\n    explanation:")
    (tmp_path / "lit.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="custom.lit"):
        load_patterns(tmp_path)


# --- the literal pre-filter and the Hyperscan translation --------------------------------------


@pytest.mark.parametrize(
    ("regex", "flags", "expected"),
    [
        (r"\baddress already in use\b", re.I, {"address already in use"}),
        (r"(?:could not|cannot) connect", re.I, {"could not connect", "cannot connect"}),
        (r"\bKilled process \d+ \(", 0, {"killed process "}),
        (r"colou?r scheme", 0, {"color scheme", "colour scheme"}),
        (r"\d+ ms", 0, {" ms"}),
        (r"\d+", 0, None),
        (r".*", 0, None),
        (r"ab", 0, {"ab"}),
    ],
)
def test_required_literals(regex: str, flags: int, expected: set[str] | None) -> None:
    literals = required_literals(regex, flags)
    assert (set(literals) if literals is not None else None) == expected


def test_required_literals_are_really_required() -> None:
    """For every packaged regex and example it matches, one of its literals is in the line."""
    for pattern in PACKAGED:
        units = [unit for unit in PACKAGED.units if PACKAGED.patterns[unit.pattern_index] is pattern]
        for snippet in pattern.examples_match + pattern.examples_no_match:
            for line in snippet:
                for unit in units:
                    if unit.compiled.search(line):
                        assert any(literal in line.lower() for literal in unit.literals), (unit.source, line)


def test_choose_gates_covers_and_shares() -> None:
    gates = choose_gates({0: frozenset({"permission denied"}), 1: frozenset({"access denied"}), 2: frozenset({"x509: "})},
                         ordinary_text="GET /index.html 200\nworker started in 12 ms\n")
    chosen = gates.all
    for unit, literal in ((0, "permission denied"), (1, "access denied"), (2, "x509: ")):
        assert any(gate in literal and unit in units for gate, units in chosen.items())
    assert len(gates.sweeps) <= 2  # one key (such as "s") serves all three literals, or two do
    # A literal no key can come from (only newlines, never in a line) leaves its unit to every line.
    odd = choose_gates({0: frozenset({"\n"}), 1: frozenset({"abc"})}, ordinary_text="x\n")
    assert odd.unswept == (0,) and odd.all == {"abc": [1]}


def test_sweep_finds_every_literal_once_per_place() -> None:
    """One sweep finds literals that overlap, nest, share their end or hold the key in the middle."""
    from dockerforge_tui.services.logs.engine_python import sweep_pattern

    literals = ["error", "err", "r", "xerror", "rror in", "or ", "terror"]
    source, group_literals = sweep_pattern("r", literals)
    regex = re.compile(source)
    text = "terror in the xerror or error"
    found = sorted((m.start(), group_literals[m.lastindex - 1]) for m in regex.finditer(text))
    # The longest literal at each place of the key; the engine adds the shorter ones on its path
    # ("err" and "r" at 25, "terror" checked at 2).
    assert found == [(2, "rror in"), (3, "r"), (5, "or "), (16, "xerror"), (17, "r"), (19, "or "), (22, "or "), (25, "error"), (26, "r"), (28, "r")]
    for position, literal in found:
        assert text.startswith(literal, position - literal.find("r"))


def test_python_engine_finds_nested_and_overlapping_literals(tmp_path: Path) -> None:
    """Whatever keys the sweeps use, every line holding a literal reaches that literal's regex."""
    from dockerforge_tui.services.logs import engine_python

    literals = ["error", "err", "r", "xerror", "rror in", "or ", "terror", "ror i", "in the"]
    entries = [
        {"id": f"custom.l{index}", "regex": re.escape(literal), "explanation": "Made for a test.",
         "recommendations": ["Nothing to do."], "examples": {"match": [literal], "no_match": ["nothing"]}}
        for index, literal in enumerate(literals)
    ]  # fmt: skip
    (tmp_path / "nested.yaml").write_text(yaml.safe_dump({"category": "crash", "severity": "warning", "patterns": entries}), encoding="utf-8")
    patterns = load_patterns(tmp_path).subset([f"custom.l{index}" for index in range(len(literals))])
    lines = ["terror in the xerror or error", "ERR", "xerrr", "or", "the terror", "r", "rror i", "nothing"]
    expected = [(i, u) for i, line in enumerate(lines) for u, literal in enumerate(literals) if literal in line.lower()]
    assert engine_python.scan(lines, patterns) == expected


def test_python_engine_reports_nested_literals_behind_the_longest(tmp_path: Path) -> None:
    """A literal that is a prefix of a longer one at the same place still gets its regex run."""
    from dockerforge_tui.services.logs import engine_hyperscan, engine_python

    (tmp_path / "nested.yaml").write_text(
        USER_PATTERN.format(id="custom.short", regex=r"\bunknown\b", example="unknown")
        + USER_PATTERN.format(id="custom.long", regex=r"\bunknown directive\b", example="unknown directive").split("patterns:\n", 1)[1],
        encoding="utf-8",
    )
    patterns = load_patterns(tmp_path).subset(["custom.short", "custom.long"])
    lines = ['[emerg] unknown directive "x"', "unknown", "an unknown directive", "unknowns"]
    expected = [(0, 0), (0, 1), (1, 0), (2, 0), (2, 1)]
    assert engine_python.scan(lines, patterns) == expected
    if "hyperscan" in ENGINES:
        assert engine_hyperscan.scan(lines, patterns) == expected


def test_anchor_means_start_of_message() -> None:
    regex = re.compile(anchor_to_message("^Killed$"))
    assert regex.search("api-1  | Killed")
    assert regex.search("2024-01-04T10:20:31.508921337Z Killed")
    assert not regex.search("Not Killed")
    assert anchor_to_message("[^a]x") == "[^a]x"  # a caret inside a class is left alone


def test_hyperscan_translation_is_looser_not_stricter() -> None:
    assert loosened(r"foo[^\n]{0,40}bar") == r"foo[^\n]{0,}bar"
    assert "^" not in loosened(anchor_to_message("^panic: "))
    assert needs_utf8("a.b") and needs_utf8("’") and needs_utf8(r"x[^y]z")
    assert not needs_utf8(r"a.*b") and not needs_utf8(r"\S+ x") and not needs_utf8(r"[^\n]*")


def test_regex_hyperscan_cannot_compile_still_works_in_both_engines(tmp_path: Path) -> None:
    """A lookahead (outside Hyperscan's subset) falls back to its literals there, with the same results."""
    (tmp_path / "lookahead.yaml").write_text(
        USER_PATTERN.format(id="custom.lookahead", regex=r"quota (?=exceeded)\w+", example="quota exceeded"),
        encoding="utf-8",
    )
    (tmp_path / "python_only.yaml").write_text(
        USER_PATTERN.format(id="custom.marked", regex=r"(\w+) and \1 again", example="x and x again").replace(
            "    explanation:", "    python_only: true\n    explanation:"
        ),
        encoding="utf-8",
    )
    patterns = load_patterns(tmp_path).subset(["custom.lookahead", "custom.marked"])
    lines = ["quota exceeded", "quota reached", "x and x again", "x and y again"]
    expected = [(0, "custom.lookahead"), (2, "custom.marked")]
    for engine in ENGINES:
        assert [(f.line_index, f.pattern_id) for f in detect(lines, patterns, engine=engine)] == expected


def test_prepare_compiles_ahead(tmp_path: Path) -> None:
    patterns = load_patterns(tmp_path)
    for engine in ENGINES:
        assert prepare(patterns, engine=engine) == engine
        assert patterns.engine_cache().get(engine) is not None


def test_compiled_database_is_cached_on_disk(tmp_path: Path) -> None:
    """A database saved in the cache directory is loaded by a later process instead of compiled."""
    if "hyperscan" not in ENGINES:
        pytest.skip("the hyperscan package is not installed")
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from dockerforge_tui.services.logs import default_patterns, detect, prepare\n"
        "started = time.perf_counter()\n"
        "prepare(default_patterns(), engine='hyperscan', cache_dir=Path(sys.argv[1]))\n"
        "print('SECONDS', time.perf_counter() - started)\n"
        "print('FOUND', [f.category for f in detect(['exec /app: exec format error'])])\n"
    )
    cache = tmp_path / "cache"
    runs = [
        subprocess.run([sys.executable, "-c", code, str(cache)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "FOUND ['exec_format_error']" in run.stdout
    assert sorted(p.suffix for p in cache.iterdir()) == [".db", ".json"]
    first, second = (float(run.stdout.split("SECONDS ")[1].split()[0]) for run in runs)
    assert second < first


def test_case_sensitive_literals_are_checked_in_their_case(tmp_path: Path) -> None:
    """The Python engine skips `ERROR` for a regex that needs `Error`, also when lower-casing moves text."""
    from dockerforge_tui.services.logs import engine_hyperscan, engine_python

    (tmp_path / "cased.yaml").write_text(
        USER_PATTERN.format(id="custom.cased", regex=r"\b[A-Z]\w*Error\b", example="KeyError").replace(
            "    explanation:", "    case_sensitive: true\n    explanation:"
        ),
        encoding="utf-8",
    )
    patterns = load_patterns(tmp_path).subset(["custom.cased"])
    assert patterns.units[0].cased_literals == frozenset({"Error"})
    lines = ["ERROR KeyError: 'x'", "level=ERROR msg=errors", "ValueError", "errors: KeyError", "x TypeError"]
    expected = [(0, 0), (2, 0), (3, 0), (4, 0)]
    assert engine_python.scan(lines, patterns) == expected
    # "İ" lower-cases to two characters: positions in the lowered text no longer match the text.
    shifted = ["İİİ " + line for line in lines]
    assert engine_python.scan(shifted, patterns) == expected
    if "hyperscan" in ENGINES:
        assert engine_hyperscan.scan(lines, patterns) == expected
        assert engine_hyperscan.scan(shifted, patterns) == expected


def test_small_inputs_do_not_wait_for_a_hyperscan_compile() -> None:
    """Without an explicit engine, few lines go to the Python engine until Hyperscan is prepared."""
    from dockerforge_tui.services.logs import engine_hyperscan
    from dockerforge_tui.services.logs.detect import SMALL_INPUT_LINES, engine_for

    if "hyperscan" not in ENGINES:
        pytest.skip("the hyperscan package is not installed; only the Python engine exists here")
    patterns = PACKAGED.subset(["port_in_use.address_in_use"])  # a new set: nothing compiled for it yet
    lines = ["Error: listen EADDRINUSE: address already in use :::3000"]
    assert engine_for(len(lines), patterns) == "python"
    assert engine_for(SMALL_INPUT_LINES + 1, patterns) == "hyperscan"  # a big input is worth the compile
    assert engine_for(len(lines), patterns, "hyperscan") == "hyperscan"  # asked for by name
    assert [f.category for f in detect(lines, patterns)] == ["port_in_use"]
    assert not engine_hyperscan.is_prepared(patterns), "a small detect() must not have compiled Hyperscan"
    prepare(patterns, engine="hyperscan")
    assert engine_hyperscan.is_prepared(patterns)
    assert engine_for(len(lines), patterns) == "hyperscan"
    assert [f.category for f in detect(lines, patterns)] == ["port_in_use"]


def test_is_prepared_does_not_wait_for_a_compile_in_progress(tmp_path: Path) -> None:
    """While another thread compiles a database, the small-input check answers at once."""
    import threading
    import time

    from dockerforge_tui.services.logs import engine_hyperscan

    if "hyperscan" not in ENGINES:
        pytest.skip("the hyperscan package is not installed; only the Python engine exists here")
    (tmp_path / "fresh.yaml").write_text(
        USER_PATTERN.format(id="custom.never_compiled", regex=r"flux capacitor \d+ melted", example="flux capacitor 3 melted"),
        encoding="utf-8",
    )
    patterns = load_patterns(tmp_path).subset(["custom.never_compiled"])
    with engine_hyperscan._DATABASES_LOCK:  # what a compile in progress looks like to other threads
        answers: list[bool] = []
        thread = threading.Thread(target=lambda: answers.append(engine_hyperscan.is_prepared(patterns)))
        started = time.monotonic()
        thread.start()
        thread.join(timeout=5)
        assert answers == [False] and time.monotonic() - started < 1
