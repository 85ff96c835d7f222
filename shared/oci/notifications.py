"""Notifications (ONS) PublishMessage, with the 64 KB limit enforced before sending."""

from __future__ import annotations

from typing import Final

from shared.oci.client import OciClient, encode_body
from shared.oci.endpoints import Service
from shared.oci.errors import MessageTooLarge
from shared.oci.models import MessageDetails, PublishResult
from shared.oci.retry import NO_DEADLINE, Deadline

MAX_MESSAGE_BYTES: Final = 64 * 1024


def message_size(details: MessageDetails) -> int:
    return len(encode_body(details) or b"")


def publish_message(
    client: OciClient,
    region: str,
    topic_id: str,
    title: str,
    body: str,
    deadline: Deadline = NO_DEADLINE,
) -> PublishResult:
    """Publish one message; raises ``MessageTooLarge`` (nothing sent) above 64 KB."""
    details = MessageDetails(title=title, body=body)
    size = message_size(details)
    if size > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"notification is {size} bytes; PublishMessage accepts at most {MAX_MESSAGE_BYTES}")
    response = client.call(
        "PublishMessage",
        "POST",
        Service.NOTIFICATIONS,
        region,
        f"/topics/{topic_id}/messages",
        body=details,
        deadline=deadline,
    )
    return PublishResult.model_validate(response.data)
