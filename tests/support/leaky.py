"""A container whose environment and logs hold secrets: what must never reach an AI provider.

Shared by the AI command tests; each test checks every request its local server received
for :data:`SECRETS`.
"""

from __future__ import annotations

from typing import Any

DB_PASSWORD = "Pg-s3cret-Value-991"
API_TOKEN = "tok7Hq2LmZ9xW4vB8nRk"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
SECRETS = (DB_PASSWORD, API_TOKEN, AWS_KEY, AWS_SECRET, JWT)

LOG_LINES = [
    "2024-03-01T09:00:00Z INFO starting shop-api 1.4.2",
    f"2024-03-01T09:00:01Z INFO connecting to postgres://app:{DB_PASSWORD}@db:5432/shop",
    f"2024-03-01T09:00:02Z DEBUG token is {API_TOKEN}",
    f"2024-03-01T09:00:03Z DEBUG outgoing Authorization: Bearer {JWT}",
    f"2024-03-01T09:00:04Z DEBUG s3 client key={AWS_KEY} secret={AWS_SECRET}",
    "2024-03-01T09:00:05Z ERROR java.lang.OutOfMemoryError: Java heap space",
    "2024-03-01T09:00:05Z ERROR java.lang.OutOfMemoryError: Java heap space",
]


def run_leaky(containers: Any) -> Any:
    """Start (through the labelling ``containers`` fixture) and wait for an exited container holding the secrets."""
    container = containers.run(
        'printf "%s\\n" "$SAMPLE_LINES"; exit 1',
        environment={"SAMPLE_LINES": "\n".join(LOG_LINES), "DB_PASSWORD": DB_PASSWORD, "API_TOKEN": API_TOKEN,
                     "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "MODE": "production"})
    container.wait(timeout=30)
    return container
