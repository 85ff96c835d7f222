"""Limits routes."""

from __future__ import annotations

from .responses import LimitsResponse

response_class = LimitsResponse

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    "/20190729/services/{serviceName}/limits/{limitName}/resourceAvailability": {
        "GET": ("GetResourceAvailability", "get_resource_availability")
    },
}
