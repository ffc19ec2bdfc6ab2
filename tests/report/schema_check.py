"""A small JSON Schema validator for the keywords ``report.schema.json`` uses, so the suite needs no extra package.

It refuses a schema keyword it does not know (so a schema change cannot be silently
ignored); when the ``jsonschema`` package is installed the tests also run it.
"""

from __future__ import annotations

import re
from typing import Any

ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
KEYWORDS = {"type", "const", "enum", "properties", "required", "additionalProperties", "items", "minItems",
            "minimum", "maximum", "pattern", "oneOf", "$ref"} | ANNOTATIONS
_TYPES = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def validation_errors(instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None,
                      path: str = "$") -> list[str]:
    """Every way ``instance`` breaks ``schema``, as ``path: problem`` strings (empty when it is valid)."""
    root = root if root is not None else schema
    unknown = set(schema) - KEYWORDS
    if unknown:
        raise ValueError(f"{path}: the test validator does not know the keyword(s) {sorted(unknown)}")
    if "$ref" in schema:
        reference = schema["$ref"]
        if not reference.startswith("#/$defs/"):
            raise ValueError(f"{path}: only local #/$defs/ references are supported, not {reference}")
        return validation_errors(instance, root["$defs"][reference[len("#/$defs/"):]], root, path)
    errors: list[str] = []
    if "type" in schema:
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[name](instance) for name in wanted):
            return [f"{path}: expected {' or '.join(wanted)}, got {type(instance).__name__} {instance!r:.60}"]
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: expected {schema['const']!r}, got {instance!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} is not one of {schema['enum']}")
    if "oneOf" in schema:
        passing = [option for option in schema["oneOf"] if not validation_errors(instance, option, root, path)]
        if len(passing) != 1:
            errors.append(f"{path}: matches {len(passing)} of the oneOf alternatives, not exactly one")
    if isinstance(instance, dict):
        for name in schema.get("required", []):
            if name not in instance:
                errors.append(f"{path}: missing required property {name!r}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, value in instance.items():
            if name in properties:
                errors.extend(validation_errors(value, properties[name], root, f"{path}.{name}"))
            elif extra is False:
                errors.append(f"{path}: unexpected property {name!r}")
            elif isinstance(extra, dict):
                errors.extend(validation_errors(value, extra, root, f"{path}.{name}"))
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for index, item in enumerate(instance):
                errors.extend(validation_errors(item, schema["items"], root, f"{path}[{index}]"))
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{path}: {instance} is below {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{path}: {instance} is above {schema['maximum']}")
    if isinstance(instance, str) and "pattern" in schema and not re.search(schema["pattern"], instance):
        errors.append(f"{path}: {instance!r} does not match {schema['pattern']}")
    return errors
