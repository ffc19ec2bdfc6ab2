"""AI providers are registered in the ``dockerforge.ai_providers`` entry-point group.

Built-in providers are declared in ``pyproject.toml`` like any plugin's; :data:`BUILTIN_PROVIDERS`
repeats them so a source checkout that was never installed still finds them.
:func:`list_providers` reads names and targets only, importing nothing; :func:`load_provider_class`
imports the adapter's module, which still does not import its SDK (that happens on first use).
:func:`build_provider` turns the ``ai`` config section, the environment and the key store
into a ready provider.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Mapping

from dockerforge_tui.core.errors import UsageError

from .base import AIProvider, ProviderConfig
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


def list_providers() -> dict[str, ProviderInfo]:
    """Every registered provider by name, built-ins first; nothing is imported."""
    providers = {name: ProviderInfo(name, target, True) for name, target in BUILTIN_PROVIDERS.items()}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in providers and providers[entry.name].target != entry.value:
            log.warning("AI provider plugin %s (%s) ignored: the name is taken by %s",
                        entry.name, entry.value, providers[entry.name].target)
            continue
        providers.setdefault(entry.name, ProviderInfo(entry.name, entry.value, entry.value in BUILTIN_PROVIDERS.values()))
    return providers


def load_provider_class(name: str) -> type[AIProvider]:
    """Import the adapter class registered as ``name``; raises :class:`UsageError` when unknown or broken."""
    providers = list_providers()
    if name not in providers:
        raise UsageError(f"unknown AI provider: {name}",
                         hint=f"choose one of: {', '.join(sorted(providers))} (ai.provider in config.yaml)")
    module_name, _, attribute = providers[name].target.partition(":")
    try:
        klass = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # a plugin's bug must be reported, not crash the caller
        raise UsageError(f"AI provider {name} ({providers[name].target}) failed to load: {error}",
                         hint="reinstall or remove the plugin that provides it") from error
    if not (isinstance(klass, type) and issubclass(klass, AIProvider)):
        raise UsageError(f"AI provider {name} ({providers[name].target}) is not an AIProvider",
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
    """A ready provider named ``name``; its SDK is imported on its first request."""
    return load_provider_class(name)(provider_config(name, settings, keys, env))
