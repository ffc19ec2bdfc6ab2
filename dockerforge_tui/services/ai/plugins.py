"""AI provider plugins from folders: a manifest, its checks, and the import of the provider class.

A plugin is a folder holding ``plugin.yaml`` and the module file(s) it names::

    name: echo                    # the provider's name (ai.provider, --provider)
    version: "1.0.0"              # the plugin's own version (PEP 440)
    module: echo_provider         # echo_provider.py (or echo_provider/__init__.py) in this folder
    class: EchoProvider           # an AIProvider subclass in that module
    dockerforge: ">=0.1,<1"       # the DockerForge versions it supports (a PEP 440 specifier)
    requires: ["httpx>=0.27"]     # Python distributions it needs (PEP 508), checked, never installed
    description: "..."            # optional

The folders searched are ``<config dir>/plugins/`` and each of ``ai.plugin_dirs``; each
holds plugin folders, or is one itself. A plugin that does not fit (a broken manifest, a
DockerForge version outside its range, a requirement not installed or too old, a name
already taken, a class that is not a provider) is *refused*: a :class:`RefusedPlugin`
with a one-line reason naming the manifest file and the key, while every other plugin
still loads.

Reading manifests and checking versions imports nothing. :func:`load_plugin_class` imports
the module as a submodule of a package made for the plugin folder (``sys.modules`` gets
``_dockerforge_plugin_<name>_<hash>``), so ``sys.path`` is never changed and two plugins'
modules of the same name do not collide; a plugin's files import each other relatively
(``from . import util``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import re
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

import dockerforge_tui
from dockerforge_tui.core.errors import UsageError

from .base import AIProvider

MANIFEST_FILE = "plugin.yaml"
PLUGINS_FOLDER = "plugins"
"""The plugin folder's name inside the config directory."""

REQUIRED_KEYS = ("name", "version", "module", "class", "dockerforge")
OPTIONAL_KEYS = ("requires", "description")
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
"""The same names ``ai.provider`` accepts."""
MODULE_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
CLASS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_IMPORT_LOCK = threading.Lock()
"""Held while a plugin package is made and its module imported (the chat pane builds providers on threads)."""

VersionLookup = Callable[[str], str]
"""Installed version of a distribution by name; raises PackageNotFoundError when it is not installed."""


class PluginRefusedError(UsageError):
    """A plugin does not fit; the message names the manifest (or entry point) and the key at fault."""


@dataclass(frozen=True)
class PluginManifest:
    """A valid ``plugin.yaml``; whether it fits this DockerForge is checked separately (:func:`check_fit`)."""

    name: str
    version: str
    module: str
    """Dotted module path inside the plugin folder."""
    class_name: str
    dockerforge: str
    """PEP 440 specifier of the DockerForge versions the plugin supports."""
    requires: tuple[str, ...]
    """PEP 508 requirements."""
    description: str
    path: Path
    """The manifest file."""

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def target(self) -> str:
        """``module:Class``, as an entry point would say it."""
        return f"{self.module}:{self.class_name}"


@dataclass(frozen=True)
class RefusedPlugin:
    """A plugin that was not loaded, and why."""

    name: str | None
    """The provider name it claims, when the manifest says one."""
    source: str
    """Its manifest file, or ``entry point NAME = TARGET``."""
    reason: str
    """One line naming the source and the key at fault."""
    hint: str | None = None
    """How to fix it, when there is more to say than the reason."""

    @property
    def label(self) -> str:
        """The name it claims, else its folder's name (a manifest too broken to say)."""
        if self.name:
            return self.name
        return Path(self.source).parent.name if self.source.endswith(MANIFEST_FILE) else self.source


@dataclass(frozen=True)
class PluginScan:
    """What the plugin folders hold: manifests that fit, and refusals."""

    accepted: tuple[PluginManifest, ...]
    refused: tuple[RefusedPlugin, ...]


def plugin_folders(config_dir: Path, extra: Iterable[str] = ()) -> list[Path]:
    """``<config dir>/plugins`` then each extra folder (``~`` expanded; relative to the config dir)."""
    folders = [config_dir / PLUGINS_FOLDER]
    for entry in extra:
        path = Path(entry).expanduser()
        folders.append(path if path.is_absolute() else config_dir / path)
    return list(dict.fromkeys(folders))


def read_manifest(path: Path) -> PluginManifest:
    """Parse and validate one ``plugin.yaml``; raises :class:`PluginRefusedError` naming the file and key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PluginRefusedError(f"{path}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise PluginRefusedError(f"{path}: not UTF-8 text") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise PluginRefusedError(f"{path}: not valid YAML{where}: {error.problem}") from None
    if not isinstance(data, dict):
        raise PluginRefusedError(f"{path}: must be a mapping of {', '.join(REQUIRED_KEYS)}",
                                 hint="see docs/AI.md, Plugins")
    unknown = sorted(str(key) for key in data if key not in REQUIRED_KEYS + OPTIONAL_KEYS)
    if unknown:
        raise PluginRefusedError(f"{path}: unknown key {unknown[0]!r} "
                                 f"(known: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)})")
    for key in REQUIRED_KEYS:
        if key not in data or data[key] is None:
            raise PluginRefusedError(f"{path}: missing key {key!r}", hint="see docs/AI.md, Plugins")
    text = {key: _text(path, key, data[key]) for key in REQUIRED_KEYS}
    name, module, class_name = text["name"], text["module"], text["class"]
    if not PLUGIN_NAME.match(name):
        raise PluginRefusedError(f"{path}: key 'name': {name!r} is not a provider name "
                                 "(lower-case letters, digits, '_' and '-', starting with a letter)")
    try:
        Version(text["version"])
    except InvalidVersion:
        raise PluginRefusedError(f"{path}: key 'version': {text['version']!r} is not a PEP 440 version "
                                 "(e.g. \"1.0.0\")") from None
    if not MODULE_PATH.match(module):
        raise PluginRefusedError(f"{path}: key 'module': {module!r} is not a module path (e.g. echo_provider)")
    if not CLASS_NAME.match(class_name):
        raise PluginRefusedError(f"{path}: key 'class': {class_name!r} is not a class name (e.g. EchoProvider)")
    try:
        SpecifierSet(text["dockerforge"])
    except InvalidSpecifier:
        raise PluginRefusedError(f"{path}: key 'dockerforge': {text['dockerforge']!r} is not a PEP 440 version "
                                 "range (e.g. \">=0.1,<1\")") from None
    requires = data.get("requires") or []
    if not isinstance(requires, list) or not all(isinstance(item, str) for item in requires):
        raise PluginRefusedError(f"{path}: key 'requires': must be a list of requirements "
                                 "(e.g. [\"httpx>=0.27\"])")
    for item in requires:
        try:
            Requirement(item)
        except InvalidRequirement as error:
            raise PluginRefusedError(f"{path}: key 'requires': {item!r} is not a PEP 508 requirement: "
                                     f"{str(error).splitlines()[0]}") from None
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise PluginRefusedError(f"{path}: key 'description': must be text")
    if _module_file(path.parent, module) is None:
        file_name = module.replace(".", "/")
        raise PluginRefusedError(f"{path}: key 'module': no {file_name}.py or {file_name}/__init__.py "
                                 f"in {path.parent}")
    return PluginManifest(name=name, version=text["version"], module=module, class_name=class_name,
                          dockerforge=text["dockerforge"], requires=tuple(requires), description=description,
                          path=path)


def check_fit(manifest: PluginManifest, dockerforge_version: str = dockerforge_tui.__version__,
              lookup: VersionLookup = installed_version) -> None:
    """Raise :class:`PluginRefusedError` when this DockerForge or the installed distributions do not fit."""
    supported = SpecifierSet(manifest.dockerforge)
    if not supported.contains(dockerforge_version, prereleases=True):
        raise PluginRefusedError(f"{manifest.path}: key 'dockerforge': the plugin supports DockerForge "
                                 f"{manifest.dockerforge}, this is {dockerforge_version}",
                                 hint="install a version of the plugin made for this DockerForge")
    for text in manifest.requires:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # not needed on this platform or Python
        try:
            found = lookup(requirement.name)
        except PackageNotFoundError:
            raise PluginRefusedError(f"{manifest.path}: key 'requires': {text} is not installed",
                                     hint=f"install it with: pip install '{text}'") from None
        if requirement.specifier and not requirement.specifier.contains(found, prereleases=True):
            raise PluginRefusedError(f"{manifest.path}: key 'requires': {text} is needed, {requirement.name} "
                                     f"{found} is installed", hint=f"install it with: pip install '{text}'")


def scan_plugins(folders: Sequence[Path], taken: Mapping[str, str], *, configured: Sequence[Path] = (),
                 dockerforge_version: str = dockerforge_tui.__version__,
                 lookup: VersionLookup = installed_version) -> PluginScan:
    """Every plugin in ``folders``, accepted or refused; nothing is imported.

    ``taken`` maps names already registered (built-ins, entry points) to who has them; a
    plugin claiming one is refused, as is the second plugin of the same name. A folder in
    ``configured`` (``ai.plugin_dirs``) that does not exist is a refusal too; the default
    folder may be missing.
    """
    accepted: dict[str, PluginManifest] = {}
    refused: list[RefusedPlugin] = []
    for folder in folders:
        if not folder.is_dir():
            if folder in configured:
                refused.append(RefusedPlugin(None, str(folder), f"ai.plugin_dirs: {folder} is not a folder"))
            continue
        try:
            manifest_paths = _manifests_in(folder)
        except OSError as error:
            refused.append(RefusedPlugin(None, str(folder), f"{folder}: cannot be read: {error.strerror or error}"))
            continue
        for manifest_path in manifest_paths:
            try:
                manifest = read_manifest(manifest_path)
            except PluginRefusedError as error:
                refused.append(RefusedPlugin(_claimed_name(manifest_path), str(manifest_path), error.message,
                                             error.hint))
                continue
            owner = taken.get(manifest.name) or (str(accepted[manifest.name].path) if manifest.name in accepted
                                                 else None)
            try:
                if owner is not None:
                    raise PluginRefusedError(f"{manifest_path}: key 'name': {manifest.name!r} is taken by {owner}",
                                         hint="rename the plugin (its manifest and the class's name)")
                check_fit(manifest, dockerforge_version, lookup)
            except PluginRefusedError as error:
                refused.append(RefusedPlugin(manifest.name, str(manifest_path), error.message, error.hint))
                continue
            accepted[manifest.name] = manifest
    return PluginScan(tuple(accepted.values()), tuple(refused))


def load_plugin_class(manifest: PluginManifest) -> type[AIProvider]:
    """Import the plugin's module from its folder and return its provider class.

    Raises :class:`PluginRefusedError` when the import fails or the class is not a
    concrete :class:`AIProvider` named like the manifest.
    """
    with _IMPORT_LOCK:
        package = _plugin_package(manifest)
        try:
            module = importlib.import_module(f"{package}.{manifest.module}")
        except Exception as error:  # a plugin's bug must be reported, not crash the caller
            _forget(package)
            raise PluginRefusedError(f"{manifest.path}: key 'module': importing {manifest.module} failed: "
                                     f"{type(error).__name__}: {error}",
                                     hint="fix the plugin, or remove its folder") from None
        try:
            return _provider_class(manifest, module)
        except PluginRefusedError:
            _forget(package)  # so that a fixed plugin is imported afresh
            raise


# --------------------------------------------------------------------------- helpers


def _provider_class(manifest: PluginManifest, module: Any) -> type[AIProvider]:
    klass: Any = getattr(module, manifest.class_name, None)
    where = f"{manifest.path}: key 'class': {manifest.module}.{manifest.class_name}"
    if klass is None:
        raise PluginRefusedError(f"{where} does not exist")
    if not (isinstance(klass, type) and issubclass(klass, AIProvider)):
        raise PluginRefusedError(f"{where} is not an AIProvider",
                                 hint="a provider plugin must subclass dockerforge_tui.services.ai.base.AIProvider")
    if inspect.isabstract(klass):
        missing = ", ".join(sorted(klass.__abstractmethods__))
        raise PluginRefusedError(f"{where} does not implement {missing}")
    if klass.name != manifest.name:
        raise PluginRefusedError(f"{where} is named {klass.name!r}, the manifest says {manifest.name!r}",
                                 hint=f"set name = {manifest.name!r} on the class")
    return klass


def _text(path: Path, key: str, value: Any) -> str:
    """A manifest value that must be text; numbers are accepted for ``version`` (``version: 1.0``)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or \
            (not isinstance(value, str) and key != "version"):
        raise PluginRefusedError(f"{path}: key {key!r}: must be text, not {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise PluginRefusedError(f"{path}: key {key!r}: must not be empty")
    return text


def _manifests_in(folder: Path) -> list[Path]:
    """The folder's own manifest when it is a plugin, else those of its sub-folders, sorted by name."""
    if (folder / MANIFEST_FILE).is_file():
        return [folder / MANIFEST_FILE]
    return sorted(child / MANIFEST_FILE for child in folder.iterdir()
                  if child.is_dir() and (child / MANIFEST_FILE).is_file())


def _claimed_name(manifest_path: Path) -> str | None:
    """The ``name`` a broken manifest says, when it can be read at all (for listing the refusal)."""
    try:
        data = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and PLUGIN_NAME.match(name) else None


def _module_file(folder: Path, module: str) -> Path | None:
    base = folder.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _plugin_package(manifest: PluginManifest) -> str:
    """The name of a package in ``sys.modules`` whose search path is only the plugin folder (made once)."""
    folder = manifest.folder.resolve()
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:10]
    package = f"_dockerforge_plugin_{manifest.name.replace('-', '_')}_{digest}"
    if package not in sys.modules:
        spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        sys.modules[package] = importlib.util.module_from_spec(spec)
    return package


def _forget(package: str) -> None:
    """Drop a plugin package and its half-imported modules, so a fixed plugin can be imported again."""
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
        del sys.modules[name]
