"""Notifications control-plane routes (host ``notification``)."""

from __future__ import annotations

from .responses import OnsResponse

response_class = OnsResponse
V = "/20181201"

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    f"{V}/topics/{{topicId}}": {"GET": ("GetTopic", "get_topic")},
}
