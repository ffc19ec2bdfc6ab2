"""The price of a model's tokens, from the packaged ``prices.yaml`` and config overrides.

Keys are ``provider/model``; a key ending in ``*`` covers every model name that starts
with the rest (dated versions such as ``claude-sonnet-4-5-20250929``). An exact key wins,
then the longest matching prefix, so ``claude-opus-4-5*`` beats ``claude-opus-4*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping


from dockerforge_tui.core.yaml_data import load_yaml

PRICES_FILE = Path(__file__).with_name("prices.yaml")
PER_TOKENS = 1_000_000


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: float
    output: float

    def input_cost(self, tokens: int) -> float:
        return tokens * self.input / PER_TOKENS

    def output_cost(self, tokens: int) -> float:
        return tokens * self.output / PER_TOKENS

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return self.input_cost(input_tokens) + self.output_cost(output_tokens)


@lru_cache(maxsize=1)
def _packaged() -> dict[str, Price]:
    data = load_yaml(PRICES_FILE.read_text(encoding="utf-8")) or {}
    return {key: Price(float(value["input"]), float(value["output"])) for key, value in data.items()}


@dataclass(frozen=True)
class PriceTable:
    """Packaged prices with ``overrides`` (``{"provider/model": Price}``) on top."""

    overrides: Mapping[str, Price] = field(default_factory=dict)

    def entries(self) -> dict[str, Price]:
        return {**_packaged(), **self.overrides}

    def lookup(self, provider: str, model: str) -> Price | None:
        """The price of ``model`` at ``provider``; None when neither table knows it."""
        entries = self.entries()
        name = f"{provider}/{model}"
        if name in entries:
            return entries[name]
        matches = [key for key in entries if key.endswith("*") and name.startswith(key[:-1])]
        return entries[max(matches, key=len)] if matches else None

    def models_of(self, provider: str) -> dict[str, Price]:
        """Every model of ``provider`` the table prices, by name (a ``*`` key's prefix, without a trailing ``-``)."""
        prefix = f"{provider}/"
        return {key[len(prefix):].rstrip("*").rstrip("-"): price for key, price in self.entries().items()
                if key.startswith(prefix)}

    def cheaper_models(self, provider: str, model: str, input_tokens: int,
                       output_tokens: int) -> list[tuple[str, float]]:
        """Models of ``provider`` that would have cost less than ``model`` for these tokens, dearest first.

        Each entry is (model name, cost in dollars for the same tokens). Empty when ``model``
        has no price.
        """
        current = self.lookup(provider, model)
        if current is None:
            return []
        spent = current.cost(input_tokens, output_tokens)
        found = {name: price.cost(input_tokens, output_tokens) for name, price in self.models_of(provider).items()
                 if not model.startswith(name)}
        return sorted(((name, cost) for name, cost in found.items() if cost < spent), key=lambda item: -item[1])

    @classmethod
    def from_config(cls, prices: Mapping[str, object]) -> "PriceTable":
        """From the ``ai.prices`` config mapping (values with ``input`` and ``output`` attributes or keys)."""
        overrides: dict[str, Price] = {}
        for key, value in prices.items():
            if isinstance(value, Mapping):
                overrides[key] = Price(float(value["input"]), float(value["output"]))
            else:
                overrides[key] = Price(float(getattr(value, "input")), float(getattr(value, "output")))
        return cls(overrides)
