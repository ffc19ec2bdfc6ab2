"""Live detection against the real engine: containers print each kind of failure, the monitor reports it.

One container per category of the labelled sample (../shared/data/logs-sample.jsonl)
prints a snippet of that category; half of them exit afterwards, half keep running.
Beside them, a container is OOM-killed under a 16 MiB memory limit and another loops
on restarts. The :class:`IssueMonitor` (the dashboard's live path: collector, pattern
engine, event and state analyzers, issue store) must report each one while it runs.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from dockerforge_tui.core.config import default_settings
from dockerforge_tui.services.docker.connection import connect
from dockerforge_tui.services.issues.monitor import IssueMonitor
from dockerforge_tui.services.issues.store import IssueStore
from dockerforge_tui.services.logs import detect
from dockerforge_tui.services.logs.collector import LogSelector
from tests.conftest import SHARED_DATA
from tests.support.containers import unique_name

pytestmark = pytest.mark.docker


def one_snippet_per_category() -> dict[str, dict]:
    """For each failure category, the first snippet of the sample in which the engine finds it."""
    chosen: dict[str, dict] = {}
    with (SHARED_DATA / "logs-sample.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            category = entry["category"]
            if category and category not in chosen and category in {f.category for f in detect(entry["lines"])}:
                chosen[category] = entry
    return chosen


def test_every_kind_of_failure_an_oom_kill_and_a_restart_loop_are_detected_live(containers, tmp_path):
    snippets = one_snippet_per_category()
    assert len(snippets) == 16, sorted(snippets)
    label = ("dockerforge.test.live", uuid.uuid4().hex[:10])
    store = IssueStore(tmp_path / "issues.json")
    monitor = IssueMonitor(lambda: connect(default_settings().docker), store, interval=1.0,
                           selector=LogSelector.with_labels(f"{label[0]}={label[1]}"),
                           cache_dir=tmp_path / "cache")
    try:
        wanted: dict[str, set[str]] = {}  # container name -> categories the monitor must report
        for number, (category, entry) in enumerate(sorted(snippets.items())):
            name = unique_name(f"dflive-{category.replace('_', '')[:12]}")
            exits = number % 2 == 0
            ending = "sleep 2; exit 1" if exits else "exec sleep 300"
            containers.run(f'sleep 1; printf "%s\\n" "$SAMPLE_LINES"; {ending}', name=name,
                           environment={"SAMPLE_LINES": "\n".join(entry["lines"])}, labels=dict([label]))
            # Exactly what the engine finds in the snippet read at once, plus the exit the state check sees.
            wanted[name] = {finding.category for finding in detect(entry["lines"])} | (
                {"container_exited"} if exits else set())
        oom = unique_name("dflive-oom")
        containers.run("x=a; while :; do x=$x$x; done", name=oom, mem_limit="16m", memswap_limit="16m",
                       labels=dict([label]))
        looping = unique_name("dflive-loop")
        containers.run("echo starting; exit 1", name=looping, restart_policy={"Name": "always"},
                       labels=dict([label]))

        def seen() -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            for issue in store.list():
                for name in issue.containers:
                    found.setdefault(name, set()).add(issue.category)
            return found

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = seen()
            if (all(categories <= found.get(name, set()) for name, categories in wanted.items())
                    and "out_of_memory" in found.get(oom, set()) and "restart_loop" in found.get(looping, set())):
                break
            time.sleep(0.5)
        time.sleep(2 * monitor_hold())  # anything held back is settled by now
        found = seen()
        missing = {name: sorted(categories - found.get(name, set()))
                   for name, categories in wanted.items() if not categories <= found.get(name, set())}
        assert not missing, f"not detected live: {missing}"
        extra = {name: sorted(found.get(name, set()) - categories)
                 for name, categories in wanted.items() if found.get(name, set()) - categories}
        assert not extra, f"reported live but not in the snippet: {extra}"
        assert "out_of_memory" in found.get(oom, set()), found.get(oom)
        assert "restart_loop" in found.get(looping, set()), found.get(looping)
        by_category = {issue.category: issue for issue in store.list() if set(issue.containers) & set(wanted)}
        assert all("log" in by_category[category].sources for category in snippets)
    finally:
        monitor.close()


def monitor_hold() -> float:
    from dockerforge_tui.services.issues.monitor import HOLD_SECONDS

    return HOLD_SECONDS
