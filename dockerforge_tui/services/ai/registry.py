"""AI providers are registered in the ``dockerforge.ai_providers`` entry-point group.

Built-in providers are declared in ``pyproject.toml`` like any plugin's; :data:`BUILTIN_PROVIDERS`
repeats them so a source checkout that was never installed still finds them.
:func:`list_providers` reads names and targets only, importing nothing; :func:`load_provider_class`
imports the adapter's module, which still does not import its SDK (that happens on first use).
:func:`build_provider` turns the ``ai`` config section, the environment and the key store
into a ready provider.

Plugin folders (:mod:`.plugins`: ``<config dir>/plugins`` and ``ai.plugin_dirs``) add
providers too. Their manifests are read and checked when providers are listed; a plugin
that does not fit, or that claims a name a built-in or an entry point already has, is
refused (:func:`refused_plugins` says why) and the others still load. A plugin's module
is imported only when its provider is loaded.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.paths import app_paths

from .base import AIProvider, ProviderConfig
from .plugins import PluginManifest, PluginRefusedError, RefusedPlugin, load_plugin_class, plugin_folders, scan_plugins
from .pricing import PriceTable
from .retry import RetryPolicy

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import AISettings

    from .keys import KeyStore

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dockerforge.ai_providers"

BUILTIN_PROVIDERS: dict[str, str] = {
    "claude": "dockerforge_tui.services.ai.providers.claude:ClaudeProvider",
    "gemini": "dockerforge_tui.services.ai.providers.gemini:GeminiProvider",
    "none": "dockerforge_tui.services.ai.providers.none:NoneProvider",
    "ollama": "dockerforge_tui.services.ai.providers.ollama:OllamaProvider",
}

BASE_URL_VARIABLES: dict[str, tuple[str, ...]] = {
    "claude": ("ANTHROPIC_BASE_URL",),
    "gemini": ("GOOGLE_GEMINI_BASE_URL",),
    "ollama": ("OLLAMA_HOST",),
}
"""Environment variables that give a provider's base URL when the config does not."""


@dataclass(frozen=True)
class ProviderInfo:
    """A registered provider, known without importing it."""

    name: str
    target: str
    """``module:Class``."""
    builtin: bool
    source: str = "built-in"
    """``built-in``, ``entry point`` or the plugin's manifest file."""
    manifest: PluginManifest | None = None
    """The plugin folder's manifest, for a provider from a plugin folder."""


@dataclass(frozen=True)
class Registry:
    """Every provider that loads, by name (built-ins first), and every plugin that was refused."""

    providers: dict[str, ProviderInfo]
    refused: tuple[RefusedPlugin, ...]


def plugin_folders_for(settings: "AISettings | None" = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """``<config dir>/plugins`` (the config dir from ``env``, as :func:`app_paths` finds it) and ``ai.plugin_dirs``."""
    config_dir = app_paths(os.environ if env is None else env).config_dir
    return plugin_folders(config_dir, settings.plugin_dirs if settings is not None else ())


def scan_registry(settings: "AISettings | None" = None, env: Mapping[str, str] | None = None) -> Registry:
    """Built-ins, entry points, then plugin folders; manifests are read, nothing is imported."""
    providers = {name: ProviderInfo(name, target, True) for name, target in BUILTIN_PROVIDERS.items()}
    refused: list[RefusedPlugin] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in providers and providers[entry.name].target != entry.value:
            source = f"entry point {entry.name} = {entry.value}"
            reason = f"{source}: the name {entry.name!r} is taken by {providers[entry.name].source} " \
                     f"{providers[entry.name].target}"
            log.warning("AI provider plugin refused: %s", reason)
            refused.append(RefusedPlugin(entry.name, source, reason))
            continue
        builtin = entry.value in BUILTIN_PROVIDERS.values()
        providers.setdefault(entry.name, ProviderInfo(entry.name, entry.value, builtin,
                                                      "built-in" if builtin else "entry point"))
    folders = plugin_folders_for(settings, env)
    scan = scan_plugins(folders, {name: f"the {info.source} {info.target}" for name, info in providers.items()},
                        configured=folders[1:])
    for manifest in scan.accepted:
        providers[manifest.name] = ProviderInfo(manifest.name, manifest.target, False, str(manifest.path), manifest)
    return Registry(providers, tuple(refused) + scan.refused)


def list_providers(settings: "AISettings | None" = None,
                   env: Mapping[str, str] | None = None) -> dict[str, ProviderInfo]:
    """Every provider that loads, by name, built-ins first; nothing is imported.

    Without ``settings`` only the default plugin folder is searched, not ``ai.plugin_dirs``.
    """
    return scan_registry(settings, env).providers


def refused_plugins(settings: "AISettings | None" = None,
                    env: Mapping[str, str] | None = None) -> tuple[RefusedPlugin, ...]:
    """Plugins (folders and entry points) that were refused, each with a one-line reason."""
    return scan_registry(settings, env).refused


def load_provider_class(name: str, settings: "AISettings | None" = None,
                        env: Mapping[str, str] | None = None) -> type[AIProvider]:
    """Import the adapter class registered as ``name``; raises :class:`UsageError` when unknown, refused or broken."""
    if name in BUILTIN_PROVIDERS:  # a plugin cannot take a built-in's name: no need to look further
        info = ProviderInfo(name, BUILTIN_PROVIDERS[name], True)
    else:
        registry = scan_registry(settings, env)
        if name not in registry.providers:
            for refused in registry.refused:
                if refused.name == name:
                    raise PluginRefusedError(f"AI provider plugin {name} was refused: {refused.reason}",
                                             hint=refused.hint or "fix or remove the plugin (dockerforge ai "
                                                                  "providers lists refused plugins)")
            raise UsageError(f"unknown AI provider: {name}",
                             hint=f"choose one of: {', '.join(sorted(registry.providers))} (ai.provider in "
                                  "config.yaml)")
        info = registry.providers[name]
    if info.manifest is not None:
        return load_plugin_class(info.manifest)
    module_name, _, attribute = info.target.partition(":")
    try:
        klass = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # a plugin's bug must be reported, not crash the caller
        raise UsageError(f"AI provider {name} ({info.target}) failed to load: {error}",
                         hint="reinstall or remove the plugin that provides it") from error
    if not (isinstance(klass, type) and issubclass(klass, AIProvider)):
        raise UsageError(f"AI provider {name} ({info.target}) is not an AIProvider",
                         hint="a provider plugin must subclass dockerforge_tui.services.ai.base.AIProvider")
    return klass


def base_url_for(name: str, settings: "AISettings", env: Mapping[str, str] | None = None) -> str | None:
    """The configured base URL, else the provider's usual variable, else None (the SDK's default)."""
    env = os.environ if env is None else env
    if settings.base_urls.get(name):
        return settings.base_urls[name]
    for variable in BASE_URL_VARIABLES.get(name, ()):
        if env.get(variable):
            return env[variable]
    return None


def provider_config(name: str, settings: "AISettings", keys: "KeyStore | None" = None,
                    env: Mapping[str, str] | None = None) -> ProviderConfig:
    """The :class:`ProviderConfig` for ``name`` from the ``ai`` section, the environment and the key store."""
    return ProviderConfig(
        name=name,
        model=settings.models.get(name, ""),
        base_url=base_url_for(name, settings, env),
        api_key=keys.get(name) if keys is not None else None,
        timeout_s=float(settings.timeout),
        retry=RetryPolicy(max_attempts=settings.max_attempts, max_delay=float(settings.max_retry_delay)),
        prices=PriceTable.from_config(settings.prices),
    )


def build_provider(name: str, settings: "AISettings", keys: "KeyStore | None" = None,
                   env: Mapping[str, str] | None = None) -> AIProvider:
    """A ready provider named ``name`` (a plugin's too); its SDK is imported on its first request."""
    return load_provider_class(name, settings, env)(provider_config(name, settings, keys, env))
