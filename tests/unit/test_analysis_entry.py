"""``dockerforge_tui.analysis.detect(lines)``: the public entry point the issue promises to other code and scripts."""

from __future__ import annotations

import subprocess
import sys


def test_detect_returns_findings_with_the_promised_fields():
    from dockerforge_tui.analysis import detect

    lines = ["INFO starting", "api-1  | Error: listen EADDRINUSE: address already in use :::3000", "INFO bye"]
    [finding] = detect(lines)
    assert (finding.category, finding.severity, finding.line_index) == ("port_in_use", "error", 1)
    assert finding.pattern_id.startswith("port_in_use.")
    assert finding.message == "Error: listen EADDRINUSE: address already in use :::3000"  # prefix stripped
    assert detect(iter(["all good"])) == []


def test_it_is_the_service_layer_engine_and_imports_no_ui_or_docker_sdk():
    from dockerforge_tui import analysis
    from dockerforge_tui.services import logs

    assert analysis.detect is logs.detect and analysis.Finding is logs.Finding
    code = ("import sys; from dockerforge_tui.analysis import detect; detect(['x']); "
            "print(sorted(m for m in ('textual', 'rich', 'docker') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
