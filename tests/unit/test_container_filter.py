"""The containers filter language."""

from __future__ import annotations

import pytest

from dockerforge_tui.services.docker.models import ContainerSummary
from dockerforge_tui.ui.presenters.container_filter import FilterError, parse_filter


def make(name: str, image: str = "nginx", state: str = "running", **labels: str) -> ContainerSummary:
    return ContainerSummary(id=name * 8, name=name, image=image, state=state, status="", created=0,
                            labels=tuple(sorted(labels.items())))


WEB = make("shop-web-1", "nginx:1.27", **{"com.docker.compose.project": "shop", "env": "prod"})
DB = make("shop-db-1", "postgres:16", state="exited", **{"com.docker.compose.project": "shop", "env": "dev"})
CRON = make("cron", "alpine")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"shop-web-1", "shop-db-1", "cron"}),
        ("shop", {"shop-web-1", "shop-db-1"}),
        ("POSTGRES", {"shop-db-1"}),
        ("!shop", {"cron"}),
        ("re:^shop-(web|api)", {"shop-web-1"}),
        ("label=env=prod", {"shop-web-1"}),
        ("label=env", {"shop-web-1", "shop-db-1"}),
        ("!label=env", {"cron"}),
        ("shop exited", {"shop-db-1"}),
        ("re:\\d$ !re:db", {"shop-web-1"}),
    ],
)
def test_filter_forms(text, expected):
    container_filter = parse_filter(text)
    assert {c.name for c in (WEB, DB, CRON) if container_filter(c)} == expected
    assert container_filter.active == bool(text)


def test_bad_filters_say_why():
    with pytest.raises(FilterError, match="invalid regular expression"):
        parse_filter("re:([")
    with pytest.raises(FilterError, match="label= needs a key"):
        parse_filter("label=")
