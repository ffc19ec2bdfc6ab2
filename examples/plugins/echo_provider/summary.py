"""What the echo provider says about a prompt: pure functions, no DockerForge imports."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9_.\-]+:\d+\]")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def summarize(system: str | None, messages: list[tuple[str, str]], input_tokens: int) -> list[str]:
    """The answer's lines: the size of the prompt, the last question, its sections and redacted values."""
    last_question = next((content for role, content in reversed(messages) if role == "user"), "")
    first_line = next((line.strip() for line in last_question.splitlines() if line.strip()), "(empty)")
    everything = "\n".join([system or ""] + [content for _, content in messages])
    placeholders = sorted(set(PLACEHOLDER.findall(everything)))
    sections = HEADING.findall(last_question)
    lines = [
        f"echo: {len(messages)} message(s){', a system prompt' if system else ''}, about {input_tokens} "
        f"input tokens.",
        f"question: {first_line}",
        f"sections: {', '.join(sections) if sections else 'none'}",
        f"redacted: {len(placeholders)} distinct secret(s)" + (f" ({', '.join(placeholders)})" if placeholders else ""),
    ]
    return lines
