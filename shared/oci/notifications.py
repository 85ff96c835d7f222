"""Notifications (ONS): GetTopic, and PublishMessage on the topic's own ``apiEndpoint``.

PublishMessage's documentation requires the topic endpoint (``apiEndpoint`` from GetTopic), not the
regional ``notification.{region}.{domain}`` host, which serves the control plane (GetTopic).
The 64 KB limit is enforced before sending.
"""

from typing import Final

from shared.oci.client import OciClient, OciRequest, encode_body
from shared.oci.endpoints import Service
from shared.oci.errors import MessageTooLarge
from shared.oci.models import MessageDetails, NotificationTopic, PublishResult
from shared.oci.retry import NO_DEADLINE, Deadline

MAX_MESSAGE_BYTES: Final = 64 * 1024
VERSION: Final = Service.NOTIFICATIONS.value.version


def message_size(details: MessageDetails) -> int:
    return len(encode_body(details) or b"")


def get_topic(client: OciClient, region: str, topic_id: str, deadline: Deadline = NO_DEADLINE) -> NotificationTopic:
    response = client.call(
        OciRequest("GetTopic", "GET", Service.NOTIFICATIONS, region, f"/topics/{topic_id}", deadline=deadline)
    )
    return NotificationTopic.model_validate(response.data)


def publish_message(
    client: OciClient,
    region: str,
    topic_id: str,
    title: str,
    body: str,
    *,
    api_endpoint: str,
    deadline: Deadline = NO_DEADLINE,
) -> PublishResult:
    """Publish one message at the topic's ``api_endpoint``; raises ``MessageTooLarge`` (nothing sent)
    above 64 KB."""
    details = MessageDetails(title=title, body=body)
    size = message_size(details)
    if size > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"notification is {size} bytes; PublishMessage accepts at most {MAX_MESSAGE_BYTES}")
    url = f"{api_endpoint.rstrip('/')}/{VERSION}/topics/{topic_id}/messages"
    response = client.call(OciRequest("PublishMessage", "POST", None, region, url, body=details, deadline=deadline))
    return PublishResult.model_validate(response.data)
