"""Notifications operations: GetTopic (host ``notification``), PublishMessage (the topic's apiEndpoint only)."""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from ..core.clock import rfc3339
from ..core.exceptions import InvalidParameter, NotAuthorizedOrNotFound
from ..core.responses import ApiResponse, BaseResponse
from .models import OnsBackend

MESSAGE_TYPES = ("JSON", "RAW_TEXT")


class MessageDetails(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    body: str
    title: Annotated[str, StringConstraints(max_length=255)] | None = None


class OnsResponse(BaseResponse):
    @property
    def backend(self) -> OnsBackend:
        return self.world.backend(OnsBackend, self.tenancy_id, self.region.name)

    def get_topic(self) -> ApiResponse:
        topic = self.backend.get_topic(self.param("topicId"))
        return self.json(topic.to_json(), etag=topic.etag)

    def publish_message(self) -> ApiResponse:
        backend = self.backend
        topic_id = self.param("topicId")
        if backend.get_topic(topic_id).api_host != self.request.host:
            # another topic's endpoint: the topic is not known there
            raise NotAuthorizedOrNotFound(f"Topic {topic_id} is not served at this endpoint; use its apiEndpoint.")
        details = self.body(MessageDetails)
        message_type = self.request.headers.get("messagetype")
        if message_type is not None:
            if message_type not in MESSAGE_TYPES:
                raise InvalidParameter("Invalid value for 'messageType': must be JSON or RAW_TEXT.")
            if message_type == "JSON" and not _has_default_key(details.body):
                raise InvalidParameter(
                    "Invalid value for 'body': with messageType JSON it must be an object with 'default'."
                )
        message = backend.publish(topic_id, details.title, details.body, message_type)
        return self.json({"messageId": message.message_id, "timeStamp": rfc3339(message.time)})


def _has_default_key(body: str) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and "default" in data
