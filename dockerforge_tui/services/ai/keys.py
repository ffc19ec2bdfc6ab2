"""API keys: the environment, the OS keyring, or an encrypted file on hosts without a keyring.

Lookup order for a provider: its environment variables (``ANTHROPIC_API_KEY``;
``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``), then the OS keyring (service ``dockerforge``,
user ``ai:<provider>``), then the encrypted file ``ai-keys.enc`` in the config directory.

The encrypted file is used only where no keyring backend works (a headless host over
SSH) and only with a passphrase, from ``ai.key_file`` (a file holding it) or the
``DOCKERFORGE_AI_PASSPHRASE`` variable. Without both, storing a key fails with a clear
error: keys are never written as plain text. The file holds a Fernet token (AES-128-CBC
with HMAC-SHA256) under a key derived from the passphrase with scrypt and a random salt.
Keys never reach logs: nothing here logs a value.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any, Mapping

from dockerforge_tui.core.atomic import atomic_write_text
from dockerforge_tui.core.errors import UsageError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "dockerforge"
KEY_FILE_NAME = "ai-keys.enc"
PASSPHRASE_VARIABLE = "DOCKERFORGE_AI_PASSPHRASE"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1

KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "claude": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
"""Environment variables that hold a provider's key, first found wins."""


class KeyStoreError(UsageError):
    """A key cannot be stored or read (no keyring and no passphrase, a wrong passphrase)."""


class KeyStore:
    """Where API keys are read from and stored; see the module docstring."""

    def __init__(self, config_dir: Path, env: Mapping[str, str] | None = None, key_file: str | None = None,
                 keyring_backend: Any | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.file = Path(config_dir) / KEY_FILE_NAME
        self.key_file = Path(key_file).expanduser() if key_file else None
        self._backend = keyring_backend

    # ---------------------------------------------------------------- reading

    def get(self, provider: str) -> str | None:
        """The key for ``provider``, or None when no source has one."""
        return self.source_of(provider)[0]

    def source_of(self, provider: str) -> tuple[str | None, str | None]:
        """(key, where it came from: ``env NAME``, ``keyring``, ``encrypted file``); (None, None) if nowhere."""
        for variable in KEY_VARIABLES.get(provider, ()):
            if self.env.get(variable):
                return self.env[variable], f"env {variable}"
        backend = self.keyring()
        if backend is not None:
            try:
                value = backend.get_password(KEYRING_SERVICE, _user(provider))
            except Exception as error:
                log.warning("keyring lookup for %s failed: %s", provider, type(error).__name__)
                value = None
            if value:
                return value, "keyring"
        if self.file.exists() and self._passphrase() is not None:
            value = self._read_file().get(provider)
            if value:
                return value, "encrypted file"
        return None, None

    # ---------------------------------------------------------------- storing

    def set(self, provider: str, key: str) -> str:
        """Store ``key`` for ``provider``; return where (``keyring`` or ``encrypted file``)."""
        if not key:
            raise KeyStoreError(f"empty API key for {provider}", hint="give the key itself")
        backend = self.keyring()
        if backend is not None:
            backend.set_password(KEYRING_SERVICE, _user(provider), key)
            return "keyring"
        self._require_passphrase()
        keys = self._read_file() if self.file.exists() else {}
        keys[provider] = key
        self._write_file(keys)
        return "encrypted file"

    def delete(self, provider: str) -> None:
        """Forget ``provider``'s stored key wherever it is stored (not the environment)."""
        backend = self.keyring()
        if backend is not None:
            try:
                backend.delete_password(KEYRING_SERVICE, _user(provider))
            except Exception:  # keyring raises PasswordDeleteError when there is none
                pass
        if self.file.exists() and self._passphrase() is not None:
            keys = self._read_file()
            if keys.pop(provider, None) is not None:
                self._write_file(keys)

    # ---------------------------------------------------------------- keyring

    def keyring(self) -> Any | None:
        """The OS keyring backend, or None where none works (the fail and null backends)."""
        if self._backend is not None:
            return self._backend
        try:
            import keyring
            from keyring.backends import fail
        except Exception:
            return None
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
            return None
        if getattr(backend, "priority", 1) <= 0 or (hasattr(backend, "backends") and not backend.backends):
            return None
        return backend

    # ---------------------------------------------------------------- encrypted file

    def _passphrase(self) -> bytes | None:
        if self.key_file is not None:
            try:
                return self.key_file.read_bytes().strip() or None
            except OSError as error:
                raise KeyStoreError(f"{self.key_file}: cannot read the key store passphrase: {error.strerror}",
                                    hint="fix ai.key_file in config.yaml") from None
        value = self.env.get(PASSPHRASE_VARIABLE)
        return value.encode("utf-8") if value else None

    def _require_passphrase(self) -> bytes:
        passphrase = self._passphrase()
        if passphrase is None:
            raise KeyStoreError(
                "no OS keyring on this host and no passphrase for the encrypted key store",
                hint=f"set {PASSPHRASE_VARIABLE} or ai.key_file (a file holding a passphrase), "
                     "or give the key in the environment (docs/AI.md, keys); keys are never stored as plain text")
        return passphrase

    def _fernet(self, salt: bytes) -> Any:
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        derived = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(self._require_passphrase())
        return Fernet(base64.urlsafe_b64encode(derived))

    def _read_file(self) -> dict[str, str]:
        from cryptography.fernet import InvalidToken

        try:
            envelope = json.loads(self.file.read_text(encoding="utf-8"))
            salt = base64.b64decode(envelope["salt"])
            token = envelope["keys"].encode("ascii")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise KeyStoreError(f"{self.file}: not a DockerForge key store ({type(error).__name__})",
                                hint="move it away; keys can be stored again") from None
        try:
            return json.loads(self._fernet(salt).decrypt(token))
        except InvalidToken:
            raise KeyStoreError(f"{self.file}: the passphrase does not open the key store",
                                hint=f"check {PASSPHRASE_VARIABLE} or ai.key_file") from None

    def _write_file(self, keys: dict[str, str]) -> None:
        salt = os.urandom(16)
        token = self._fernet(salt).encrypt(json.dumps(keys).encode("utf-8")).decode("ascii")
        envelope = {"version": 1, "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                    "salt": base64.b64encode(salt).decode("ascii"), "keys": token}
        atomic_write_text(self.file, json.dumps(envelope, indent=1) + "\n", mode=0o600)


def _user(provider: str) -> str:
    return f"ai:{provider}"
