"""A banner that says whether the engine answers, what was tried, and how to fix it."""

from __future__ import annotations

from textual.widgets import Static

from dockerforge_tui.services.docker.watch import EngineUnavailable


class EngineStatus(Static):
    """Hidden while an engine answers; otherwise the reason, the fix hint and the next retry."""

    DEFAULT_CSS = """
    EngineStatus {
        display: none;
        height: auto;
        padding: 0 1;
        background: $error 20%;
        color: $text;
    }
    EngineStatus.-visible { display: block; }
    EngineStatus.-connecting { background: $warning 15%; }
    """

    def show_connecting(self) -> None:
        """Say that DockerForge is looking for an engine."""
        self.set_classes("-visible -connecting")
        self.update("Looking for a Docker engine…")

    def show_unavailable(self, problem: EngineUnavailable) -> None:
        """Say what failed, how to fix it, and when the next try comes."""
        self.set_classes("-visible")
        lines = [f"No Docker engine: {problem.message}"]
        if problem.hint:
            lines.append(f"Fix: {problem.hint}")
        lines.append(f"Retrying in {problem.retry_in:g}s (attempt {problem.attempt}); the list fills in as soon as the engine answers.")
        self.update("\n".join(lines))

    def show_connected(self) -> None:
        """Hide the banner."""
        self.set_classes("")
