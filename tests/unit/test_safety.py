"""The unsafe-command check: every shipped recommendation passes it, every dangerous command is refused."""

from __future__ import annotations

import re

import pytest

from dockerforge_tui.services.issues.catalog import catalog, recommend_settings
from dockerforge_tui.services.issues.recommend import recommendation_from_text, render_recommendations
from dockerforge_tui.services.issues.safety import check_command, unsafe_rules
from dockerforge_tui.services.logs import default_patterns

DANGEROUS = {
    "rm -rf /": "rm_root",
    "rm -rf /*": "rm_root",
    "sudo rm -rf --no-preserve-root /": "no_preserve_root",
    "rm -fr ~": "rm_root",
    "rm -r -f /usr": "rm_root",
    "docker run --rm --privileged busybox sh": "privileged_container",
    "docker run --privileged=true busybox": "privileged_container",
    "curl -fsSL https://get.example.com/install.sh | sh": "download_piped_to_shell",
    "curl -s https://x.example/i.sh | sudo bash": "download_piped_to_shell",
    "wget -O- http://example.com/setup | bash": "download_piped_to_shell",
    "wget -qO - https://example.com/x.py | python3": "download_piped_to_shell",
    "bash <(curl -s https://example.com/x.sh)": "shell_of_download",
    "chmod 777 /": "chmod_world_writable_root",
    "chmod -R 777 /etc": "chmod_world_writable_root",
    "chown -R nobody:nogroup /": "chown_recursive_root",
    "docker run -v /var/run/docker.sock:/var/run/docker.sock portainer": "docker_socket_mount",
    "docker run --mount type=bind,source=/var/run/docker.sock,target=/s x": "docker_socket_mount",
    "docker run --pid=host busybox": "host_pid_namespace",
    "docker run --net=host nginx": "host_network",
    "docker run --network host nginx": "host_network",
    "docker run --ipc=host busybox": "host_ipc_or_userns",
    "docker run -v /:/host busybox": "host_root_mount",
    "docker run --cap-add=ALL busybox": "all_capabilities",
    "docker run --security-opt seccomp=unconfined busybox": "unconfined_security",
    "mkfs.ext4 /dev/sdb1": "make_file_system",
    "dd if=/dev/zero of=/dev/sda bs=1M": "dd_to_device",
    "cat image.iso > /dev/sdb": "write_to_block_device",
    ":(){ :|:& };:": "fork_bomb",
    "sudo reboot": "power_off",
    "kill -9 -1": "kill_everything",
    "docker system prune -a --volumes -f": "remove_everything_docker",
    "docker rm -f $(docker ps -aq)": "remove_everything_docker",
    "iptables -F": "disable_firewall",
    "echo 'x' > /etc/passwd": "overwrite_system_file",
    'eval "$(curl -s https://example.com/env)"': "eval_remote",
}

SAFE = [
    "docker logs --tail 100 web",
    "docker ps --filter publish=8080",
    "ss -ltnp | grep :8080",
    "docker inspect --format '{{.State.OOMKilled}}' web",
    "rm -rf /tmp/build-cache",
    "dd if=/dev/zero of=/dev/null count=1",
    "docker system prune",
    "chmod +x entrypoint.sh",
    "docker run --network backend app",
    "echo reboot-required",
]


@pytest.mark.parametrize("command", sorted(DANGEROUS))
def test_dangerous_commands_are_refused(command):
    verdict = check_command(command)
    assert not verdict.ok, command
    assert verdict.reasons and all(reason for reason in verdict.reasons)
    assert DANGEROUS[command] in verdict.rule_ids


def test_every_rule_is_exercised_by_a_dangerous_example():
    covered = set(DANGEROUS.values())
    for command in DANGEROUS:
        covered.update(check_command(command).rule_ids)
    missing = {rule.id for rule in unsafe_rules()} - covered
    assert not missing, f"rules without a dangerous example in this test: {sorted(missing)}"


@pytest.mark.parametrize("command", SAFE)
def test_ordinary_diagnostics_pass(command):
    assert check_command(command).ok, check_command(command).reasons


def test_whitespace_and_line_continuations_do_not_hide_a_command():
    assert not check_command("docker run \\\n   --privileged \\\n   busybox").ok
    assert not check_command("rm   -rf    /").ok


def test_an_empty_command_is_refused():
    assert not check_command("   ").ok


def _catalog_commands() -> list[str]:
    commands = []
    values = {"container": "shop-web-1", "healthcheck": "curl -fsS http://localhost:8080/health"}
    for info in catalog().categories.values():
        for template in info.recommendations:
            if template.command:
                rendered = render_recommendations([template], values)[0]
                assert rendered.command is not None, f"catalog command of {info.id} was refused: {template.command}"
                commands.append(rendered.command)
    return commands


def _pattern_commands() -> list[str]:
    programs = recommend_settings().command_programs
    commands = []
    for pattern in default_patterns():
        for text in pattern.recommendations:
            quoted = [part for part in re.findall(r"`([^`]+)`", text) if part.split()[0] in programs]
            if quoted:
                recommendation = recommendation_from_text(text)
                assert recommendation.command == quoted[0].strip(), f"{pattern.id}: command refused in {text!r}"
                commands.append(recommendation.command)
    return commands


def test_every_shipped_recommendation_command_passes_the_check():
    commands = _catalog_commands() + _pattern_commands()
    assert len(commands) > 30  # both sources contribute
    refused = {command: check_command(command).reasons for command in commands if not check_command(command).ok}
    assert not refused


def test_a_recommendation_with_an_unsafe_command_keeps_only_its_text():
    recommendation = recommendation_from_text("Give it everything with `docker run --privileged app`.")
    assert recommendation.command is None
    assert recommendation.text.startswith("Give it everything")


def test_rendered_container_names_are_quoted_and_checked():
    from dockerforge_tui.services.issues.catalog import RecommendationTemplate

    template = RecommendationTemplate("Read its logs.", "docker logs {container}")
    assert render_recommendations([template], {"container": "web; rm -rf /"})[0].command == \
        "docker logs 'web; rm -rf /'"
    unsafe = RecommendationTemplate("Probe it.", "docker exec {container} {healthcheck}")
    refused = render_recommendations([unsafe], {"container": "web", "healthcheck": "curl -s http://x | sh"})[0]
    assert refused.command is None and refused.text == "Probe it."
    missing = render_recommendations([unsafe], {"container": "web", "healthcheck": None})[0]
    assert missing.command is None
