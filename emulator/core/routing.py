"""Route tables: path templates with ``{name}`` segments -> method -> (operation name, handler name)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .exceptions import MethodNotAllowed, NotFound

UrlPaths = Mapping[str, Mapping[str, tuple[str, str]]]


@dataclass(frozen=True)
class Route:
    operation: str
    response_class: type[Any]
    handler: str
    params: dict[str, str]


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    methods: Mapping[str, tuple[str, str]]
    response_class: type[Any]


def compile_template(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


class Router:
    """Matches a path (after the region prefix); wrong method -> 405, no path -> 404."""

    def __init__(self, services: Iterable[tuple[type[Any], UrlPaths]]) -> None:
        self._patterns = [
            _Pattern(compile_template(template), methods, response_class)
            for response_class, paths in services
            for template, methods in paths.items()
        ]

    def operations(self) -> set[str]:
        return {op for p in self._patterns for op, _ in p.methods.values()}

    def match(self, method: str, path: str) -> Route:
        for pattern in self._patterns:
            m = pattern.regex.match(path)
            if m is None:
                continue
            entry = pattern.methods.get(method.upper())
            if entry is None:
                raise MethodNotAllowed(f"{method} is not allowed on {path}.")
            operation, handler = entry
            return Route(operation, pattern.response_class, handler, m.groupdict())
        raise NotFound(f"No API operation at {path}.")
