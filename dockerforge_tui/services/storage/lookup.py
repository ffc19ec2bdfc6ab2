"""Find a stored document by its id or a unique prefix of it, as ``git`` finds a commit."""

from __future__ import annotations

from typing import Any, Iterable

from dockerforge_tui.core.errors import NotFoundError, UsageError


def find_by_id_prefix(documents: Iterable[dict[str, Any]], id_or_prefix: str, *, noun: str,
                      list_command: str, plural: str | None = None,
                      missing: str | None = None) -> dict[str, Any]:
    """The document whose ``id`` is ``id_or_prefix``, else the only one it starts.

    Raises a one-line :class:`UsageError` for an empty or ambiguous prefix and
    :class:`NotFoundError` when nothing matches; ``noun`` ("fix", "issue") and
    ``list_command`` (where to see the ids) word them; ``plural`` is needed when it is not
    ``noun + "s"``, and ``missing`` names what was not found when it says more than the
    noun ("tracked issue").
    """
    wanted = id_or_prefix.strip().lower()
    if not wanted:
        raise UsageError(f"a {noun} id is empty", hint=f"give an id from `{list_command}`")
    documents = list(documents)
    exact = [document for document in documents if document["id"] == wanted]
    if exact:
        return exact[0]
    matches = [document for document in documents if document["id"].startswith(wanted)]
    if not matches:
        raise NotFoundError(f"no {missing or noun} with id {id_or_prefix!r}", hint=f"list them with `{list_command}`")
    if len(matches) > 1:
        shown = ", ".join(sorted(document["id"] for document in matches)[:5])
        raise UsageError(f"the id prefix {id_or_prefix!r} matches {len(matches)} {plural or noun + 's'} ({shown})",
                         hint="type more characters of the id")
    return matches[0]
