"""The containers list's filter language, as a pure function of the typed text.

Terms are separated by spaces and must all hold:

- ``web``           the name, image, compose project or service, state or id contains "web"
- ``re:^db-\\d``     a regular expression searched in the same fields
- ``label=env=prod`` a label with that value; ``label=env`` a label with any value
- ``!term``         any of the above, inverted
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from dockerforge_tui.services.docker.models import ContainerSummary

Predicate = Callable[[ContainerSummary], bool]


class FilterError(ValueError):
    """The filter text cannot be used (for example an invalid regular expression)."""


@dataclass(frozen=True)
class ContainerFilter:
    """A parsed filter; call it with a container."""

    text: str
    predicates: tuple[Predicate, ...]

    def __call__(self, container: ContainerSummary) -> bool:
        return all(predicate(container) for predicate in self.predicates)

    @property
    def active(self) -> bool:
        """True when the filter hides anything at all."""
        return bool(self.predicates)


def _searchable(container: ContainerSummary) -> tuple[str, ...]:
    return (container.name, container.image, container.compose_project or "", container.compose_service or "",
            container.state, container.id)


def _term(term: str) -> Predicate:
    if term.startswith("!") and len(term) > 1:
        inner = _term(term[1:])
        return lambda container: not inner(container)
    if term.startswith("re:"):
        try:
            pattern = re.compile(term[3:], re.IGNORECASE)
        except re.error as error:
            raise FilterError(f"invalid regular expression {term[3:]!r}: {error}") from error
        return lambda container: any(pattern.search(field) for field in _searchable(container))
    if term.startswith("label="):
        key, has_value, value = term[len("label="):].partition("=")
        if not key:
            raise FilterError("label= needs a key: label=KEY or label=KEY=VALUE")
        if has_value:
            return lambda container: container.label(key) == value
        return lambda container: container.label(key) is not None
    needle = term.lower()
    return lambda container: any(needle in field.lower() for field in _searchable(container))


def parse_filter(text: str) -> ContainerFilter:
    """Parse the filter text; raises :class:`FilterError` with a one-line reason."""
    return ContainerFilter(text, tuple(_term(term) for term in text.split()))


NO_FILTER = ContainerFilter("", ())
