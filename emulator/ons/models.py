"""Topics and the messages published to them; 60 messages per rolling minute per topic."""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..core.clock import rfc3339
from ..core.exceptions import NotAuthorizedOrNotFound, PayloadTooLarge, TooManyRequests
from ..core.ids import new_etag, new_ocid, new_uuid
from ..core.regions import find_region
from ..core.state import BaseBackend, World

WINDOW_SECONDS = 60.0
PUBLISH_HOST_PREFIX = "ons"


@dataclass
class Topic:
    id: str
    name: str
    compartment_id: str
    time_created: float
    api_endpoint: str
    api_host: str  # the host label of its own apiEndpoint (ons-{key}): PublishMessage is served only there
    description: str = ""
    etag: str = field(default_factory=new_etag)

    def to_json(self) -> dict[str, Any]:
        return {
            "topicId": self.id,
            "name": self.name,
            "compartmentId": self.compartment_id,
            "lifecycleState": "ACTIVE",
            "description": self.description,
            "timeCreated": rfc3339(self.time_created),
            "apiEndpoint": self.api_endpoint,
            "shortTopicId": self.id[-10:],
            "etag": self.etag,
            "freeformTags": {},
            "definedTags": {},
        }


@dataclass(frozen=True)
class Message:
    message_id: str
    title: str | None
    body: str
    time: float
    message_type: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "title": self.title,
            "body": self.body,
            "timeStamp": rfc3339(self.time),
            "messageType": self.message_type,
        }


class OnsBackend(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        self.topics: dict[str, Topic] = {}
        self.messages: dict[str, list[Message]] = {}
        self._recent: dict[str, deque[float]] = {}

    def create_topic(self, base_url: str, compartment_id: str, name: str, description: str = "") -> Topic:
        region = find_region(self.region)
        host = f"{PUBLISH_HOST_PREFIX}-{secrets.token_hex(6)}"
        topic = Topic(
            id=new_ocid("onstopic", region),
            name=name,
            compartment_id=compartment_id,
            time_created=self.world.clock.now(),
            api_endpoint=f"{base_url.rstrip('/')}/{host}/{self.region}",
            api_host=host,
            description=description,
        )
        self.topics[topic.id] = topic
        self.messages[topic.id] = []
        self._recent[topic.id] = deque()
        return topic

    def get_topic(self, topic_id: str) -> Topic:
        topic = self.topics.get(topic_id)
        if topic is None:
            raise NotAuthorizedOrNotFound()
        return topic

    def publish(self, topic_id: str, title: str | None, body: str, message_type: str | None) -> Message:
        self.get_topic(topic_id)
        settings = self.world.settings
        size = len(body.encode("utf-8"))
        if size > settings.max_message_bytes:
            raise PayloadTooLarge(f"The message is {size} bytes; the limit is {settings.max_message_bytes} bytes.")
        now = self.world.clock.now()
        recent = self._recent[topic_id]
        while recent and recent[0] <= now - WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= settings.publish_per_minute:
            raise TooManyRequests(f"More than {settings.publish_per_minute} messages per minute on this topic.")
        recent.append(now)
        message = Message(new_uuid(), title, body, now, message_type)
        self.messages[topic_id].append(message)
        return message
