"""OCI Functions: GetFunction (management host) and InvokeFunction (the function's own invoke endpoint).

Invocations do not go to the regional ``functions.{region}.oci.{domain}`` management host: each
function has its own ``invokeEndpoint``, returned by GetFunction (the Go SDK's invoke client has no
regional default; the Terraform provider's ``oci_functions_invoke_function`` calls GetFunction first).
Callers discover it once and keep it (``invoke_endpoint``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service
from shared.oci.models import OciModel
from shared.oci.retry import NO_DEADLINE, Deadline

INVOKE_VERSION: Final = "20181201"  # the Go SDK v65 path; OCI also serves /20260325 (Python SDK 2.189.0)


class Function(OciModel):
    """GetFunction: the function and its own ``invokeEndpoint`` (invocations go there)."""

    id: str
    invoke_endpoint: str
    display_name: str = ""


def get_function(client: OciClient, region: str, function_id: str, deadline: Deadline = NO_DEADLINE) -> Function:
    response = client.call(
        OciRequest("GetFunction", "GET", Service.FUNCTIONS, region, f"/functions/{function_id}", deadline=deadline)
    )
    return Function.model_validate(response.data)


def invoke_url(invoke_endpoint: str, function_id: str) -> str:
    return f"{invoke_endpoint.rstrip('/')}/{INVOKE_VERSION}/functions/{function_id}/actions/invoke"


def invoke_detached(
    client: OciClient,
    region: str,
    invoke_endpoint: str,
    function_id: str,
    payload: Mapping[str, Any],
    deadline: Deadline = NO_DEADLINE,
) -> str | None:
    """Start the function without waiting for it (``fn-invoke-type: detached``, 202); returns the
    opc-request-id. Not retried after a failure that may have reached the function (a POST without
    a retry token), only when throttled."""
    response = client.call(
        OciRequest(
            "InvokeFunction",
            "POST",
            None,
            region,
            invoke_url(invoke_endpoint, function_id),
            body=payload,
            headers={"fn-invoke-type": "detached"},
            deadline=deadline,
        )
    )
    return response.opc_request_id
