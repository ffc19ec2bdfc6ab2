"""Channel credentials: references in the URL, resolved at send time, never plain text in config.

A channel URL names its secrets instead of holding them:

- ``{secret:NAME}``: from the notification key store (the OS keyring, service
  ``dockerforge``, user ``notify:NAME``; where no keyring works, the encrypted file
  ``notify-secrets.enc`` with the AI key store's passphrase), stored with
  ``dockerforge notify secret set NAME``;
- ``{env:NAME}``: the environment variable NAME when the message is sent;
- ``${NAME}``: the environment variable, substituted when the config is loaded.

:func:`check_channel_url` rejects a URL whose password or token (as apprise's plugin
for the scheme declares its private fields, plus secret-looking query arguments) is
written out, with a line saying how to move it into the key store or the environment.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

from dockerforge_tui.core.errors import ConfigError, UsageError
from dockerforge_tui.core.redaction import is_secret_key
from dockerforge_tui.services.ai.keys import KEYRING_SERVICE, PASSPHRASE_VARIABLE, KeyStore, KeyStoreError

REFERENCE = re.compile(r"\{(secret|env):([A-Za-z0-9_.\-]+)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-?][^}]*)?\}")
"""``{secret:NAME}``, ``{env:NAME}`` and ``${NAME}`` (the loader's form, seen in the raw file)."""

SECRET_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
SECRETS_FILE_NAME = "notify-secrets.enc"
KEYRING_USER_PREFIX = "notify:"
_SENTINEL = "dfref{}x"
log = logging.getLogger(__name__)
_NOT_CREDENTIALS = frozenset({"template", "workflow_path", "format", "overflow", "to", "from", "cc", "bcc"})


class SecretStore(KeyStore):
    """Named channel secrets in the OS keyring, or the encrypted file where no keyring works.

    The AI key store's machinery (keyring backend choice, passphrase from ``ai.key_file``
    or ``DOCKERFORGE_AI_PASSPHRASE``, scrypt + Fernet) with its own keyring users
    (``notify:NAME``) and its own file; no environment lookup (``{env:NAME}`` does that).
    """

    def __init__(self, config_dir: Path, env: Mapping[str, str] | None = None, key_file: str | None = None,
                 keyring_backend: Any | None = None) -> None:
        super().__init__(config_dir, env=env, key_file=key_file, keyring_backend=keyring_backend)
        self.file = Path(config_dir) / SECRETS_FILE_NAME

    def source_of(self, name: str) -> tuple[str | None, str | None]:
        """(secret, ``keyring`` or ``encrypted file``), or (None, None)."""
        backend = self.keyring()
        if backend is not None:
            try:
                value = backend.get_password(KEYRING_SERVICE, KEYRING_USER_PREFIX + name)
            except Exception as error:  # a locked or broken keyring: fall through to the file
                log.warning("keyring lookup for notification secret %s failed: %s", name, type(error).__name__)
                value = None
            if value:
                return value, "keyring"
        if self.file.exists() and self._passphrase() is not None:
            value = self._read_file().get(name)
            if value:
                return value, "encrypted file"
        return None, None

    def set(self, name: str, key: str) -> str:
        """Store ``key`` as secret ``name``; returns where it went (``keyring`` or ``encrypted file``)."""
        if not SECRET_NAME.match(name):
            raise UsageError(f"secret name {name!r} has characters other than letters, digits, _ . -",
                             hint="e.g. 'dockerforge notify secret set smtp-password'")
        if not key:
            raise UsageError(f"empty value for secret {name}", hint="give the secret itself")
        backend = self.keyring()
        if backend is not None:
            backend.set_password(KEYRING_SERVICE, KEYRING_USER_PREFIX + name, key)
            return "keyring"
        self._require_passphrase()
        secrets = self._read_file() if self.file.exists() else {}
        secrets[name] = key
        self._write_file(secrets)
        return "encrypted file"

    def _require_passphrase(self) -> bytes:
        passphrase = self._passphrase()
        if passphrase is None:
            raise KeyStoreError(
                "no OS keyring on this host and no passphrase for the encrypted secret store",
                hint=f"set {PASSPHRASE_VARIABLE} or ai.key_file (a file holding a passphrase; the AI key store "
                     "uses the same), or reference an environment variable with {env:NAME} in the URL instead")
        return passphrase

    def delete(self, name: str) -> None:
        """Forget secret ``name`` wherever it is stored."""
        backend = self.keyring()
        if backend is not None:
            try:
                backend.delete_password(KEYRING_SERVICE, KEYRING_USER_PREFIX + name)
            except Exception:  # keyring raises PasswordDeleteError when there is none
                pass
        if self.file.exists() and self._passphrase() is not None:
            secrets = self._read_file()
            if secrets.pop(name, None) is not None:
                self._write_file(secrets)


def references(url: str) -> list[str]:
    """The references in ``url`` as written (``{secret:smtp}``, ``{env:TOKEN}``, ``${TOKEN}``)."""
    return [match.group(0) for match in REFERENCE.finditer(url)]


def check_channel_url(name: str, url: str, error_at: Callable[[str, str], ConfigError] | None = None) -> None:
    """Raise :class:`ConfigError` when channel ``name``'s URL holds a plain password or token.

    ``url`` should be the text as written in the file (before ``${VAR}`` substitution);
    ``error_at(problem, hint)`` builds the error with the file and line when the caller knows them.
    """
    marked, sentinels = _mark_references(url)
    plain = _plain_credentials(marked, sentinels)
    if plain is None:
        where = f"notifications.channels.{name}.url"
        raise _error(error_at, where, f"{url.split('://', 1)[0]}:// is not a URL apprise knows",
                     "check the scheme (mailto://, slack://, discord://, json://, ntfy://...; "
                     "see https://github.com/caronc/apprise/wiki)")
    if plain:
        fields = ", ".join(plain)
        raise _error(
            error_at, f"notifications.channels.{name}.url",
            f"the {fields} is written in plain text",
            f"store it with 'dockerforge notify secret set {name}' and write {{secret:{name}}} in its place, "
            f"or put it in an environment variable and write {{env:NAME}}")


def _error(error_at: Callable[[str, str], ConfigError] | None, where: str, problem: str, hint: str) -> ConfigError:
    if error_at is not None:
        return error_at(problem, hint)
    return ConfigError(f"{where}: {problem}", hint=hint)


def _mark_references(url: str) -> tuple[str, list[str]]:
    """``url`` with each reference replaced by a plain token apprise parses like any word."""
    sentinels: list[str] = []

    def replace(_: re.Match[str]) -> str:
        sentinels.append(_SENTINEL.format(len(sentinels)))
        return sentinels[-1]

    return REFERENCE.sub(replace, url), sentinels


def _plain_credentials(url: str, sentinels: list[str]) -> list[str] | None:
    """Names of the private fields of ``url`` that hold something other than a reference; None for a bad URL."""
    from apprise.manager_plugins import NotificationManager

    scheme = url.split("://", 1)[0].lower()
    try:
        plugin = NotificationManager()[scheme]
    except KeyError:
        return None
    parsed = plugin.parse_url(url)
    if not parsed:
        return None

    def is_reference(value: Any) -> bool:
        return any(sentinel in str(value) for sentinel in sentinels)

    private: set[str] = set()
    for key, spec in {**plugin.template_tokens, **plugin.template_args}.items():
        if spec.get("private") and key not in _NOT_CREDENTIALS:
            private.update((key, spec.get("map_to", key)))
    plain = [key for key in sorted(private)
             if isinstance(parsed.get(key), str) and parsed[key] and not is_reference(parsed[key])]
    # Query arguments and headers (+Name=value) with a secret-looking name: ?token=..., +Authorization=...
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=False):
        bare = key.lstrip("+-:")
        if bare.lower() not in _NOT_CREDENTIALS and is_secret_key(bare) and value and not is_reference(value) \
                and bare not in plain:
            plain.append(bare)
    return plain


class CredentialResolver:
    """Fills in a channel URL's references when a message is sent."""

    def __init__(self, secrets: SecretStore | None, env: Mapping[str, str]) -> None:
        self._secrets = secrets
        self._env = env

    def resolve(self, channel: str, url: str) -> str:
        """``url`` with every ``{secret:NAME}`` and ``{env:NAME}`` replaced by its value, URL-quoted.

        Raises :class:`UsageError` naming the missing secret or variable.
        """

        def replace(match: re.Match[str]) -> str:
            source, name, loader_name = match.group(1), match.group(2), match.group(3)
            if loader_name:  # ${NAME} left in the URL: the loader had no value (an unset variable)
                source, name = "env", loader_name
            if source == "env":
                value = self._env.get(name)
                if not value:
                    raise UsageError(f"notification channel {channel}: environment variable {name} is not set",
                                     hint=f"set {name} in the environment DockerForge runs in")
            else:
                value = self._secret(channel, name)
            return quote(value, safe="")

        return REFERENCE.sub(replace, url)

    def _secret(self, channel: str, name: str) -> str:
        value = self._secrets.get(name) if self._secrets is not None else None
        if not value:
            raise UsageError(f"notification channel {channel}: no secret named {name} is stored",
                             hint=f"store it with 'dockerforge notify secret set {name}' (reads it from stdin)")
        return value


def channel_urls_as_written(files: tuple[Path, ...]) -> dict[str, str]:
    """Channel URLs as the config files spell them (before ``${VAR}`` substitution), last file winning.

    The loader substitutes ``${VAR}`` while it reads, so only the file tells a reference
    from a value written out.
    """
    from dockerforge_tui.core.yaml_data import load_yaml

    written: dict[str, str] = {}
    for path in files:
        try:
            data = load_yaml(path.read_text(encoding="utf-8-sig"))
        except Exception:  # unreadable or broken YAML: the loader reports it with its line
            continue
        channels = ((data or {}).get("notifications") or {}).get("channels") if isinstance(data, dict) else None
        if isinstance(channels, Mapping):
            for name, channel in channels.items():
                if isinstance(channel, Mapping) and isinstance(channel.get("url"), str):
                    written[str(name)] = channel["url"]
    return written
