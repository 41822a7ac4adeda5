"""One description of each request and response: attrs classes whose fields carry their JSON Schema
constraints. The same metadata validates a request (``parse``) and writes the OpenAPI document
(``json_schema``), so the two cannot drift apart.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.v import format_exception

T = TypeVar("T")

DECIMAL_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_SCHEMA_KEY = "json_schema"


def spec(
    *,
    default: Any = attrs.NOTHING,
    minimum: int | None = None,
    maximum: int | None = None,
    not_equal: int | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    enum: tuple[str, ...] | None = None,
    fmt: str | None = None,
    description: str | None = None,
) -> Any:
    """An attrs field with JSON Schema constraints that ``parse`` enforces."""
    constraints = {
        "minimum": minimum,
        "maximum": maximum,
        "not": None if not_equal is None else {"const": not_equal},
        "minLength": min_length,
        "maxLength": max_length,
        "pattern": pattern,
        "enum": list(enum) if enum else None,
        "format": fmt,
        "description": description,
    }
    metadata = {_SCHEMA_KEY: {k: v for k, v in constraints.items() if v is not None}}
    return attrs.field(default=default, metadata=metadata)


# -- errors ------------------------------------------------------------------------------------


class MalformedBody(Exception):
    """The body is not JSON at all (400)."""


class RequestInvalid(Exception):
    """The JSON does not fit the request's schema (422); ``errors`` names each field."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors


# -- the HTTP converter ------------------------------------------------------------------------


def _strict(kind: type, name: str) -> Any:
    def structure(value: Any, _: type) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {name}")
        return value

    return structure


def _integer(value: Any, _: type) -> int:
    # JSON Schema counts 3.0 as an integer; JSON itself does not tell 3 from 3.0.
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if type(value) is not int:
        raise TypeError("expected an integer")
    return value


def _decimal(value: Any, _: type) -> Decimal:
    if not isinstance(value, str) or not re.match(DECIMAL_PATTERN, value):
        raise TypeError("expected a decimal string such as \"19.99\"")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise TypeError("expected a decimal string such as \"19.99\"") from None


def make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _integer)
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(Decimal, _decimal)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
    return converter


CONVERTER = make_converter()


def _join(path: str, name: str | int) -> str:
    return f"{path}.{name}" if path else str(name)


def _field_errors(error: BaseException, path: str = "") -> list[tuple[str, str]]:
    if isinstance(error, ForbiddenExtraKeysError):
        return [(_join(path, key), "unknown field") for key in sorted(error.extra_fields)]
    if isinstance(error, ClassValidationError | IterableValidationError):
        found: list[tuple[str, str]] = []
        inner, other = error.group_exceptions()
        for sub, note in inner:
            index = getattr(note, "index", None)
            name: str | int = index if isinstance(index, int) else getattr(note, "name", "?")
            found += _field_errors(sub, _join(path, name))
        for sub in other:
            found += _field_errors(sub, path)
        return found
    if isinstance(error, KeyError):
        return [(path or "body", "this field is required")]
    if isinstance(error, TypeError):
        message = str(error)
    elif "not in literal" in str(error):
        message = "not one of the allowed values"
    else:
        message = format_exception(error, None)
    return [(path or "body", message)]


def _check_constraints(instance: Any, path: str = "") -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for field in attrs.fields(type(instance)):
        value = getattr(instance, field.name)
        where = _join(path, field.name)
        if attrs.has(type(value)):
            problems += _check_constraints(value, where)
            continue
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if attrs.has(type(item)):
                    problems += _check_constraints(item, _join(where, i))
            continue
        message = violation(value, field.metadata.get(_SCHEMA_KEY, {}))
        if message:
            problems.append((where, message))
    return problems


def violation(value: Any, rules: Mapping[str, Any]) -> str | None:
    """What is wrong with ``value`` under these JSON Schema rules, or None."""
    if value is None:
        return None
    if "enum" in rules and value not in rules["enum"]:
        return f"must be one of {', '.join(map(str, rules['enum']))}"
    if isinstance(value, str):
        if len(value) < rules.get("minLength", 0):
            return f"must have at least {rules['minLength']} characters"
        if "maxLength" in rules and len(value) > rules["maxLength"]:
            return f"must have at most {rules['maxLength']} characters"
        if "pattern" in rules and not re.search(rules["pattern"], value):
            return f"must match {rules['pattern']}"
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in rules and value < rules["minimum"]:
            return f"must be at least {rules['minimum']}"
        if "maximum" in rules and value > rules["maximum"]:
            return f"must be at most {rules['maximum']}"
        if "not" in rules and value == rules["not"]["const"]:
            return f"must not be {value}"
    return None


def parse(data: Any, cls: type[T]) -> T:
    """Structures JSON data into ``cls``, or raises RequestInvalid naming every bad field."""
    if not isinstance(data, dict):
        raise RequestInvalid([("body", "expected a JSON object")])
    try:
        instance = CONVERTER.structure(data, cls)
    except Exception as error:  # cattrs reports through exception groups and plain errors
        raise RequestInvalid(_field_errors(error) or [("body", "invalid")]) from None
    problems = _check_constraints(instance)
    if problems:
        raise RequestInvalid(problems)
    return instance


_INT = re.compile(r"^-?[0-9]{1,18}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parameter_name(field: attrs.Attribute[Any]) -> str:
    """A query field named ``from_`` is the parameter ``from`` (a Python keyword)."""
    return field.name.removesuffix("_")


def _from_text(raw: str, kind: Any) -> Any:
    kind = _strip_optional(kind)
    if kind is int:
        if not _INT.match(raw):
            raise TypeError("expected an integer")
        return int(raw)
    if kind is bool:
        if raw not in ("true", "false"):
            raise TypeError("expected true or false")
        return raw == "true"
    if kind is Decimal:
        return _decimal(raw, Decimal)
    if kind is date:
        try:
            if not _DATE.match(raw):
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            raise TypeError("expected a date such as 2026-01-31") from None
    return raw


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def parse_query(params: Mapping[str, str], cls: type[T]) -> T:
    """Query strings, typed by ``cls``'s fields; a parameter it does not name is refused."""
    hints = _hints(cls)  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    known = {parameter_name(field) for field in attrs.fields(cls)}  # type: ignore[arg-type]
    problems = [(name, "unknown parameter") for name in params if name not in known]
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        name = parameter_name(field)
        if name not in params:
            if field.default is attrs.NOTHING:
                problems.append((name, "this parameter is required"))
            continue
        try:
            values[field.name] = _from_text(params[name], hints[field.name])
        except TypeError as error:
            problems.append((name, str(error)))
    if problems:
        raise RequestInvalid(problems)
    instance = cls(**values)
    problems = _check_constraints(instance)
    if problems:
        raise RequestInvalid(problems)
    return instance


def dump(instance: Any) -> Any:
    return CONVERTER.unstructure(instance)


# -- JSON Schema -------------------------------------------------------------------------------


def _strip_optional(kind: Any) -> Any:
    args = get_args(kind)
    if get_origin(kind) in (Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else kind
    return kind


def _is_optional(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind)


def type_schema(kind: Any, components: dict[str, Any]) -> dict[str, Any]:
    if _is_optional(kind):
        inner = type_schema(_strip_optional(kind), components)
        if "type" in inner and isinstance(inner["type"], str):
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    origin = get_origin(kind)
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(kind))}
    if origin in (list, tuple):
        return {"type": "array", "items": type_schema(get_args(kind)[0], components)}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(get_args(kind)[1],
                                                                       components)}
    if attrs.has(kind):
        return {"$ref": f"#/components/schemas/{component(kind, components)}"}
    simple = {
        str: {"type": "string"},
        int: {"type": "integer"},
        bool: {"type": "boolean"},
        Decimal: {"type": "string", "pattern": MONEY_PATTERN},
        datetime: {"type": "string", "format": "date-time"},
        date: {"type": "string", "format": "date"},
    }
    if kind in simple:
        return dict(simple[kind])
    raise TypeError(f"no JSON Schema for {kind!r}")


def field_schema(
    field: attrs.Attribute[Any], kind: Any, components: dict[str, Any]
) -> dict[str, Any]:
    schema = type_schema(kind, components)
    rules = dict(field.metadata.get(_SCHEMA_KEY, {}))
    if "$ref" in schema or "anyOf" in schema:
        return {**schema, **({"description": rules["description"]} if "description" in rules
                              else {})}
    schema.update(rules)
    if field.default not in (attrs.NOTHING, None) and not isinstance(
        field.default, attrs.Factory  # type: ignore[arg-type]
    ):
        schema["default"] = dump(field.default)
    return schema


def component(cls: type, components: dict[str, Any]) -> str:
    """Adds ``cls`` (and what it refers to) to ``components``; returns its name."""
    name = cls.__name__
    if name in components:
        return name
    components[name] = {}  # placeholder: breaks cycles
    hints = typing.get_type_hints(cls)
    properties = {}
    required = []
    for field in attrs.fields(cls):
        properties[field.name] = field_schema(field, hints[field.name], components)
        if field.default is attrs.NOTHING:
            required.append(field.name)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if cls.__doc__:
        schema["description"] = " ".join(cls.__doc__.split())
    components[name] = schema
    return name


def query_parameters(cls: type, components: dict[str, Any]) -> list[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    parameters = []
    for field in attrs.fields(cls):
        schema = field_schema(field, _strip_optional(hints[field.name]), components)
        parameters.append({
            "name": parameter_name(field),
            "in": "query",
            "required": field.default is attrs.NOTHING,
            "schema": schema,
        })
    return parameters
