"""Provider plugins from folders: manifests, version and requirement checks, refusals, and the import.

Plugins are real folders under tmp_path; requirements are checked against the distributions
really installed in the test environment (pyyaml is one, ``dockerforge-no-such-dist`` is not).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockerforge_tui.core.config.models import AISettings
from dockerforge_tui.core.errors import ExitCode, UsageError
from dockerforge_tui.services.ai import CompletionRequest
from dockerforge_tui.services.ai.plugins import (
    PluginRefusedError,
    check_fit,
    load_plugin_class,
    plugin_folders,
    read_manifest,
    scan_plugins,
)
from dockerforge_tui.services.ai.registry import (
    BUILTIN_PROVIDERS,
    ENTRY_POINT_GROUP,
    build_provider,
    list_providers,
    load_provider_class,
    refused_plugins,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "plugins"

PROVIDER_SOURCE = """\
from dockerforge_tui.services.ai.providers.none import NoneProvider
from dockerforge_tui.services.ai.base import Capabilities


class {klass}(NoneProvider):
    name = {name!r}

    def capabilities(self):
        return Capabilities(streaming=True, token_counting=False, max_context_tokens=1,
                            json_output=False, local=True)
"""


def make_plugin(parent: Path, folder: str, *, name: str | None = None, module: str = "provider",
                klass: str = "Provider", dockerforge: str = ">=0.1,<1", requires: list[str] | None = None,
                manifest: str | None = None, source: str | None = None) -> Path:
    """A plugin folder with a manifest and a module; ``manifest``/``source`` replace the generated ones."""
    path = parent / folder
    path.mkdir(parents=True)
    name = name or folder
    if manifest is None:
        manifest = (f"name: {name}\nversion: '1.0'\nmodule: {module}\nclass: {klass}\n"
                    f"dockerforge: '{dockerforge}'\nrequires: {requires or []!r}\n")
    (path / "plugin.yaml").write_text(manifest)
    (path / f"{module}.py").write_text(source if source is not None else PROVIDER_SOURCE.format(klass=klass, name=name))
    return path / "plugin.yaml"


@pytest.fixture
def env(isolated_dirs):
    """The environment whose config dir is this test's (so <config dir>/plugins is under tmp_path)."""
    return {"DOCKERFORGE_CONFIG_DIR": str(isolated_dirs / "config")}


@pytest.fixture
def default_folder(isolated_dirs) -> Path:
    folder = isolated_dirs / "config" / "plugins"
    folder.mkdir()
    return folder


def reasons(settings=None, env=None) -> dict[str, str]:
    return {refused.source: refused.reason for refused in refused_plugins(settings, env)}


def test_a_plugin_in_the_config_folder_loads_and_answers(default_folder, env):
    make_plugin(default_folder, "tiny")
    providers = list_providers(env=env)
    assert providers["tiny"].target == "provider:Provider" and not providers["tiny"].builtin
    assert providers["tiny"].source == str(default_folder / "tiny" / "plugin.yaml")
    klass = load_provider_class("tiny", env=env)
    assert klass.name == "tiny" and klass.__module__.endswith(".provider")
    assert refused_plugins(env=env) == ()


def test_the_example_plugin_loads_from_plugin_dirs_and_streams_a_summary(env):
    settings = AISettings(plugin_dirs=[str(EXAMPLES)])
    path_before = list(sys.path)
    provider = build_provider("echo", settings, None, env)
    assert sys.path == path_before  # imported from its folder without touching sys.path
    assert provider.model == "echo-1" and provider.capabilities().local
    stream = provider.stream(CompletionRequest.ask("why? pw=[REDACTED:password:1]\n\n## Container\nx",
                                                   system="system"))
    chunks = list(stream)
    assert len(chunks) > 5  # streamed word by word
    text = "".join(chunks)
    assert "question: why? pw=[REDACTED:password:1]" in text
    assert "sections: Container" in text and "redacted: 1 distinct secret(s)" in text
    assert stream.completion.cost_usd == 0.0 and stream.completion.provider == "echo"
    assert provider.complete(CompletionRequest.ask("hello", max_tokens=2)).text == "echo: 1"


def test_refusals_name_the_manifest_and_key_and_the_good_plugin_still_loads(default_folder, env, tmp_path):
    good = make_plugin(default_folder, "good")
    too_new = make_plugin(default_folder, "too_new", dockerforge=">=2.0")
    missing = make_plugin(default_folder, "missing_req", requires=["dockerforge-no-such-dist>=1"])
    too_old = make_plugin(default_folder, "old_req", requires=["pyyaml>=999"])
    broken = make_plugin(default_folder, "broken", manifest="name: broken\nversion: [1\n")
    no_class = make_plugin(default_folder, "no_class", manifest="name: no_class\nversion: '1'\nmodule: provider\n"
                                                                "dockerforge: '>=0.1'\n")
    clash = make_plugin(default_folder, "clash", name="claude")
    extra = tmp_path / "extra"
    duplicate = make_plugin(extra, "good_again", name="good")
    settings = AISettings(plugin_dirs=[str(extra), str(tmp_path / "nowhere")])

    found = reasons(settings, env)
    assert found[str(too_new)] == (f"{too_new}: key 'dockerforge': the plugin supports DockerForge >=2.0, "
                                   "this is 0.1.0")
    assert found[str(missing)] == f"{missing}: key 'requires': dockerforge-no-such-dist>=1 is not installed"
    assert found[str(too_old)].startswith(f"{too_old}: key 'requires': pyyaml>=999 is needed, pyyaml ")
    assert found[str(broken)].startswith(f"{broken}: not valid YAML (line 3, column 1)")
    assert found[str(no_class)] == f"{no_class}: missing key 'class'"
    assert found[str(clash)].startswith(f"{clash}: key 'name': 'claude' is taken by the built-in ")
    assert found[str(duplicate)] == f"{duplicate}: key 'name': 'good' is taken by {good}"
    assert found[str(tmp_path / "nowhere")] == f"ai.plugin_dirs: {tmp_path / 'nowhere'} is not a folder"
    assert all("\n" not in reason for reason in found.values())

    providers = list_providers(settings, env)
    assert providers["good"].source == str(good) and load_provider_class("good", settings, env).name == "good"
    assert providers["claude"].target == BUILTIN_PROVIDERS["claude"]
    assert not {"too_new", "missing_req", "old_req", "broken", "no_class"} & set(providers)
    with pytest.raises(PluginRefusedError) as refused:
        build_provider("too_new", settings, None, env)
    assert refused.value.message.startswith("AI provider plugin too_new was refused: ")
    assert refused.value.exit_code == ExitCode.USAGE
    with pytest.raises(UsageError, match="unknown AI provider: nope"):
        load_provider_class("nope", settings, env)


@pytest.mark.parametrize(("manifest", "reason"), [
    ("- a list\n", "must be a mapping of name, version, module, class, dockerforge"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: P\ndockerforge: '>=0.1'\nreqires: []\n",
     "unknown key 'reqires' (known: name, version, module, class, dockerforge, requires, description)"),
    ("name: Bad Name\nversion: '1'\nmodule: provider\nclass: P\ndockerforge: '>=0.1'\n",
     "key 'name': 'Bad Name' is not a provider name"),
    ("name: x\nversion: one\nmodule: provider\nclass: P\ndockerforge: '>=0.1'\n",
     "key 'version': 'one' is not a PEP 440 version"),
    ("name: x\nversion: '1'\nmodule: ../evil\nclass: P\ndockerforge: '>=0.1'\n",
     "key 'module': '../evil' is not a module path"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: P()\ndockerforge: '>=0.1'\n",
     "key 'class': 'P()' is not a class name"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: P\ndockerforge: 'newer than 1'\n",
     "key 'dockerforge': 'newer than 1' is not a PEP 440 version range"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: P\ndockerforge: '>=0.1'\nrequires: httpx\n",
     "key 'requires': must be a list of requirements"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: P\ndockerforge: '>=0.1'\nrequires: ['httpx >=> 1']\n",
     "key 'requires': 'httpx >=> 1' is not a PEP 508 requirement"),
    ("name: x\nversion: '1'\nmodule: other\nclass: P\ndockerforge: '>=0.1'\n",
     "key 'module': no other.py or other/__init__.py in "),
    ("name: x\nversion: '1'\nmodule: provider\nclass: [P]\ndockerforge: '>=0.1'\n",
     "key 'class': must be text, not list"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: P\ndockerforge: '>=0.1'\ndescription: 3\n",
     "key 'description': must be text"),
    ("name: x\nversion: '1'\nmodule: provider\nclass: ' '\ndockerforge: '>=0.1'\n", "key 'class': must not be empty"),
])
def test_a_broken_manifest_is_one_line_naming_the_key(tmp_path, manifest, reason):
    path = make_plugin(tmp_path, "plugin", manifest=manifest)
    with pytest.raises(PluginRefusedError) as refused:
        read_manifest(path)
    assert refused.value.message.startswith(f"{path}: {reason}")
    assert "\n" not in refused.value.message


def test_versions_and_requirements_are_checked_against_what_is_installed(tmp_path):
    path = make_plugin(tmp_path, "fits",
                       requires=["pyyaml>=5", "packaging", "dockerforge-no-such-dist; python_version < '3'"])
    manifest = read_manifest(path)
    check_fit(manifest)  # markers that do not apply are skipped
    check_fit(manifest, dockerforge_version="0.9.0rc1")  # a pre-release inside the range fits
    with pytest.raises(PluginRefusedError, match="supports DockerForge >=0.1,<1, this is 1.0.0"):
        check_fit(manifest, dockerforge_version="1.0.0")
    assert read_manifest(make_plugin(tmp_path, "numeric", manifest="name: numeric\nversion: 1.5\nmodule: provider\n"
                                                                  "class: P\ndockerforge: '>=0.1'\n")).version == "1.5"


@pytest.mark.parametrize(("source", "reason"), [
    ("raise RuntimeError('boom')\n", "key 'module': importing provider failed: RuntimeError: boom"),
    ("class Other: pass\n", "key 'class': provider.Provider does not exist"),
    ("class Provider: name = 'bad'\n", "key 'class': provider.Provider is not an AIProvider"),
    ("from dockerforge_tui.services.ai.base import AIProvider\nclass Provider(AIProvider):\n    name = 'bad'\n",
     "key 'class': provider.Provider does not implement _complete, _stream_parts, capabilities"),
    (PROVIDER_SOURCE.format(klass="Provider", name="other"),
     "key 'class': provider.Provider is named 'other', the manifest says 'bad'"),
])
def test_a_plugin_whose_module_does_not_fit_is_refused_when_loaded(default_folder, env, source, reason):
    path = make_plugin(default_folder, "bad", source=source)
    assert "bad" in list_providers(env=env)  # listing imports nothing, so this is found on load
    with pytest.raises(PluginRefusedError) as refused:
        load_provider_class("bad", env=env)
    assert refused.value.message == f"{path}: {reason}"
    assert not [name for name in sys.modules if name.startswith("_dockerforge_plugin_bad_") and "provider" in name]


def test_plugins_import_their_own_files_relatively_and_do_not_collide(tmp_path, env):
    for name in ("first", "second"):
        folder = make_plugin(tmp_path / "plugins", name).parent
        (folder / "helper.py").write_text(f"WHO = {name!r}\n")
        (folder / "provider.py").write_text(PROVIDER_SOURCE.format(klass="Provider", name=name)
                                            + "from .helper import WHO\n")
    settings = AISettings(plugin_dirs=[str(tmp_path / "plugins")])
    first, second = (load_provider_class(name, settings, env) for name in ("first", "second"))
    assert sys.modules[first.__module__].WHO == "first" and sys.modules[second.__module__].WHO == "second"
    assert "helper" not in sys.modules
    assert load_provider_class("first", settings, env) is first  # imported once per process


def test_a_plugin_dir_may_be_one_plugin_and_relative_dirs_start_at_the_config_dir(tmp_path, isolated_dirs, env):
    one = make_plugin(tmp_path, "single").parent
    make_plugin(isolated_dirs / "config" / "mine", "relative")
    settings = AISettings(plugin_dirs=[str(one), "mine", "~/elsewhere"])
    assert {"single", "relative"} <= set(list_providers(settings, env))
    config_dir = isolated_dirs / "config"
    assert plugin_folders(config_dir, ["mine", "~/x"]) == [config_dir / "plugins", config_dir / "mine",
                                                           Path("~/x").expanduser()]


def test_listing_plugins_imports_no_plugin_module(default_folder, env):
    make_plugin(default_folder, "lazy")
    code = ("import sys\n"
            "from dockerforge_tui.services.ai.registry import list_providers\n"
            "assert 'lazy' in list_providers()\n"
            "print(sorted(m for m in sys.modules if m.startswith('_dockerforge_plugin_')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                            env={**os.environ, **env})
    assert result.stdout.strip() == "[]"


def test_an_entry_point_that_takes_a_builtin_name_is_listed_as_refused(tmp_path, monkeypatch, env):
    dist = tmp_path / "dockerforge_rogue-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dockerforge-rogue\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nclaude = rogue:Rogue\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    refused = [item for item in refused_plugins(env=env) if item.source == "entry point claude = rogue:Rogue"]
    assert len(refused) == 1 and refused[0].name == "claude"
    assert "the name 'claude' is taken by built-in dockerforge_tui.services.ai.providers.claude" in refused[0].reason


def test_scan_plugins_takes_the_taken_names_and_a_version_lookup(tmp_path):
    make_plugin(tmp_path, "a", requires=["somedist>=2"])
    make_plugin(tmp_path, "b")
    versions = {"somedist": "1.5"}

    def lookup(name: str) -> str:
        from importlib.metadata import PackageNotFoundError

        if name not in versions:
            raise PackageNotFoundError(name)
        return versions[name]

    scan = scan_plugins([tmp_path], {"b": "the built-in b"}, lookup=lookup)
    assert scan.accepted == ()
    assert [item.reason.split(": ", 1)[1] for item in scan.refused] == [
        "key 'requires': somedist>=2 is needed, somedist 1.5 is installed",
        "key 'name': 'b' is taken by the built-in b"]
    versions["somedist"] = "2.1"
    assert [item.name for item in scan_plugins([tmp_path], {}, lookup=lookup).accepted] == ["a", "b"]
    assert load_plugin_class(scan_plugins([tmp_path], {}, lookup=lookup).accepted[1]).name == "b"


def test_a_refused_plugin_is_imported_afresh_once_fixed(default_folder, env):
    path = make_plugin(default_folder, "mended", source="raise ImportError('half written')\n")
    with pytest.raises(PluginRefusedError, match="ImportError: half written"):
        load_provider_class("mended", env=env)
    (path.parent / "provider.py").write_text(PROVIDER_SOURCE.format(klass="Provider", name="mended"))
    assert load_provider_class("mended", env=env).name == "mended"

