"""Root-cause hints across containers, from real inspect-shaped states and log lines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dockerforge_tui.services.docker.states import state_from_inspect
from dockerforge_tui.services.issues import (
    analyze_containers, analyze_states, extract_targets, issue_id, observations_from_log, root_cause_hints,
)
from dockerforge_tui.services.issues.analyzers import container_ref
from dockerforge_tui.services.logs import detect
from tests.unit.test_analyzers import NOW, inspect_doc

COMPOSE = {"com.docker.compose.project": "shop"}


def service(name: str, **kwargs):
    labels = {**COMPOSE, "com.docker.compose.service": name, **kwargs.pop("labels", {})}
    networks = kwargs.pop("networks", {"shop_default": {"Aliases": [name, f"shop-{name}-1"],
                                                        "IPAddress": kwargs.pop("ip", "")}})
    return state_from_inspect(inspect_doc(f"shop-{name}-1", labels=labels, networks=networks, **kwargs))


def down_db(**kwargs):
    defaults = dict(status="exited", exit_code=137, oom=True, memory=64 * 1024 * 1024,
                    finished=NOW - timedelta(seconds=40), ports={"5432/tcp": None})
    return service("db", **{**defaults, **kwargs})


def log_observations(state, *lines):
    return observations_from_log(detect(list(lines)), list(lines), container_ref(state))


def stamped(seconds_before_now: int, text: str) -> str:
    moment = NOW - timedelta(seconds=seconds_before_now)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {text}"


@pytest.mark.parametrize("line, host, port", [
    ("Error: connect ECONNREFUSED db:5432", "db", 5432),
    ("redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.", "redis", 6379),
    ('psql: error: could not connect to server: Is the server running on host "db" (172.18.0.2) and accepting',
     "db", None),
    ("dial tcp: lookup influxdb on 127.0.0.11:53: no such host", "influxdb", None),
    ("Error: getaddrinfo ENOTFOUND postgres", "postgres", None),
    ("consumer: Cannot connect to amqp://guest:**@rabbitmq:5672//: Timed out.", "rabbitmq", 5672),
    ("java.net.UnknownHostException: kafka-broker-1: Name or service not known", "kafka-broker-1", None),
    ("HTTPConnectionPool(host='api', port=8000): Max retries exceeded", "api", 8000),
])
def test_targets_are_read_from_common_client_errors(line, host, port):
    targets = extract_targets(line)
    assert any(target.host == host and target.port == port for target in targets), targets


def test_web_refused_by_an_oom_killed_db_points_at_db():
    db, web = down_db(), service("web")
    observations = analyze_states([db, web], NOW) + log_observations(
        web, stamped(30, "Error: connect ECONNREFUSED db:5432"))
    [hint] = root_cause_hints(observations, [db, web])
    assert hint.symptom_container == "shop-web-1" and hint.cause_container == "shop-db-1"
    assert hint.level == "high" and hint.target == "db:5432"
    assert "out of memory" in hint.reason and "web" in hint.reason
    symptom = next(o for o in observations if o.category == "connection_refused")
    assert hint.symptom_issue_id == issue_id(symptom)
    assert hint.cause_issue_ids == (issue_id(next(o for o in observations if o.category == "out_of_memory")),)


def test_the_network_alias_and_ip_address_link_too():
    db = down_db(networks={"backend": {"Aliases": ["postgres-primary"], "IPAddress": "172.20.0.5"}})
    web = service("web")
    by_alias = log_observations(web, "FATAL: could not connect to the database: dial tcp postgres-primary:5432")
    by_ip = log_observations(web, "Error: connect ECONNREFUSED 172.20.0.5:5432")
    assert root_cause_hints(analyze_states([db], NOW) + by_alias, [db, web])[0].confidence >= 0.8
    assert root_cause_hints(analyze_states([db], NOW) + by_ip, [db, web])[0].confidence >= 0.8


def test_dns_failure_for_a_stopped_service_points_at_it():
    db = down_db(oom=False, exit_code=1)
    web = service("web")
    observations = analyze_states([db, web], NOW) + log_observations(web, "Error: getaddrinfo ENOTFOUND db")
    [hint] = root_cause_hints(observations, [db, web])
    assert hint.cause_container == "shop-db-1" and hint.symptom_category == "dns_failure"
    assert "exited with code 1" in hint.reason


def test_a_compose_dependency_links_when_the_line_names_no_host():
    db = down_db()
    web = service("web", labels={"com.docker.compose.depends_on": "db:service_healthy:false"})
    observations = analyze_states([db], NOW) + log_observations(web, "Caused by: java.net.ConnectException: Connection refused")
    [hint] = root_cause_hints(observations, [db, web])
    assert hint.level == "medium" and "depends on" in hint.reason


def test_localhost_on_a_port_another_container_exposes_says_use_its_name():
    db = service("db", ports={"5432/tcp": None})  # running and fine
    web = service("web")
    observations = log_observations(web, "Error: connect ECONNREFUSED 127.0.0.1:5432")
    [hint] = root_cause_hints(observations, [db, web])
    assert "db:5432" in hint.reason and hint.level == "medium"


def test_a_healthy_target_gives_only_a_low_confidence_hint():
    db, web = service("db"), service("web")
    [hint] = root_cause_hints(log_observations(web, "Error: connect ECONNREFUSED db:5432"), [db, web])
    assert hint.level == "low" and "is running" in hint.reason


def test_no_hint_for_unrelated_containers_or_trouble_long_after_the_symptom():
    db, web = down_db(), service("web")
    cache = service("cache", status="exited", exit_code=1, finished=NOW)
    unrelated = log_observations(web, "Error: connect ECONNREFUSED api.example.com:443")
    assert root_cause_hints(analyze_states([cache], NOW) + unrelated, [cache, web]) == []
    # db died an hour after web logged the refusal: not the cause then.
    late_db = down_db(finished=NOW)
    early = log_observations(web, stamped(3600, "Error: connect ECONNREFUSED db:5432"))
    hints = root_cause_hints(analyze_states([late_db], NOW) + early, [late_db, web])
    assert all(hint.level == "low" for hint in hints)
    assert root_cause_hints(analyze_states([db], NOW), [db, web]) == []  # no symptom, no hint


def test_one_hint_per_symptom_issue_and_cause():
    db, web = down_db(), service("web")
    lines = [stamped(30 - n, f"Error: connect ECONNREFUSED 172.18.0.{n}:5432 db:5432") for n in range(5)]
    analysis = analyze_containers([db, web], {web.id: lines}, now=NOW, host_listeners=None)
    assert len(analysis.hints) == 1
