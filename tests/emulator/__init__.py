"""A moto-style local OCI emulator: Block Volume, Compute attachments, Notifications, Functions, Identity,
Events, Monitoring custom metrics.

Serving
=======
One process serves every region of the realm table (``shared/oci/regions.py``), each service on its own
host-like prefix (``hosts.py``) followed by the real version paths, so a client configured with
``OCI_ENDPOINT_TEMPLATE={base}/{service}/{region}`` reaches it, and a call sent to the wrong
service's host is a 404 ``NotFound``, as in OCI::

    {base}/iaas/{region}/20160918/volumeBackups ...            Block Volume, ListBootVolumeAttachments
    {base}/identity/{region}/20160918/compartments ...         Identity (compartments, regions)
    {base}/notification/{region}/20181201/topics/{id}          GetTopic (answers the topic's apiEndpoint)
    {base}/functions/{region}/20181201/functions/{id}          GetFunction (answers its invokeEndpoint)
    {topic apiEndpoint}/20181201/topics/{id}/messages          PublishMessage, only there
    {function invokeEndpoint}/20181201/functions/{id}/actions/invoke   InvokeFunction, only there (recorded)
    {base}/telemetry-ingestion/{region}/20180401/metrics     Monitoring PostMetricData

GetFunction and InvokeFunction are also served at ``/20260325`` (the Python SDK 2.189.0 path). A
topic's ``apiEndpoint`` is ``{base}/ons-{key}/{region}`` and a function's ``invokeEndpoint``
``{base}/fn-{key}/{region}``, each its own: another topic's or function's endpoint answers 404
``NotAuthorizedOrNotFound``. The old layout ``{base}/{region}/...`` (``OCI_ENDPOINT_TEMPLATE={base}/{region}``)
still serves every regional service, but never PublishMessage or InvokeFunction.

Every API request must carry a valid OCI signature (docs.oracle.com/iaas/Content/API/Concepts/signingrequests.htm),
else 401 ``NotAuthenticated``:
unsigned, tampered (a signed header, the path/query or the body changed), wrong key, unknown or
expired or revoked key, ``date`` more than 300 s away from real time, wrong ``x-content-sha256`` or
``content-length``. The region is part of the signed ``(request-target)``, so a request signed for one
region cannot be re-pointed at another. The caller's tenancy is the first ``/``-segment of an API
keyId, or the ``res_tenant`` claim of a resource principal token (keyId ``ST$<token>``). State is per
tenancy, then per region: an id from another tenancy or region is 404 ``NotAuthorizedOrNotFound``.

Every answer has ``opc-request-id`` (``<client id>/<server id>`` when the client sent one). Errors are
``{"code": ..., "message": ...}``; an unknown path is 404 ``NotFound``, a wrong method 405
``MethodNotAllowed``.

Behaviour (see ``blockstorage/models.py`` for the rules in full)
----------------------------------------------------------------
* Backups: REQUEST_RECEIVED -> CREATING (``creating_after``, 1 s) -> AVAILABLE (``available_after``, 60 s),
  on the emulator clock; volume group backups pass COMMITTED (``committed_after``, 30 s) and create one
  member backup per volume. One backup in progress per (boot) volume, else 409 ``IncorrectState``.
* Copies (``.../actions/copy``) appear in the destination region with ``sourceVolumeBackupId`` /
  ``sourceBootVolumeBackupId`` / ``sourceVolumeGroupBackupId``, the source's tags, ``sourceType``,
  ``timeCreated`` and (unless given) ``displayName``; AVAILABLE after ``copy_available_after``. Refusals:
  source not AVAILABLE -> 409 ``IncorrectState``; unknown, same or other-realm destination -> 400
  ``InvalidParameter``; Marketplace-image boot backups -> 400 ``InvalidParameter``; an 11th volume or
  volume-group copy in flight from one source region per tenancy, or a 2nd copy in flight of backups of
  one boot volume -> 400 ``LimitExceeded``.
* ``opc-retry-token`` (per tenancy, region and operation, 24 h of emulator time): same token and same
  request -> the same resource; same token, different request -> 409 ``InvalidatedRetryToken``.
* ``etag`` on every single-resource read and write, new on every write; ``if-match`` mismatch on
  PUT/DELETE -> 412 ``NoEtagMatch``. Update of a TERMINATING/TERMINATED resource -> 409 ``IncorrectState``;
  delete of one in progress -> 409 ``IncorrectState``; delete makes it TERMINATING (``delete*.begin``),
  TERMINATED ``terminating_after`` (5 s) later (``delete*.end``); still listed; deleting again changes nothing.
* Defined tags: a create or update that writes a namespace the tenancy was not granted (control
  ``tag-namespaces``; none by default), or ``Oracle-Tags`` ever, -> 400
  ``RelatedResourceNotAuthorizedOrNotFound`` "The following tag namespaces / keys are not authorized or
  not found: 'ns'" (``core/tags.py``). An update that sends a namespace back unchanged is not a write.
* Lists: ``limit`` (1..1000, default 100), opaque ``page`` / ``opc-next-page``, the filters of the API reference,
  ``sortBy`` TIMECREATED (default, DESC) / DISPLAYNAME (ASC), ``sortOrder``; a missing required
  ``compartmentId`` -> 400 ``MissingParameter``.
* Bodies: non-JSON -> 400 ``CannotParseRequest``; wrong type, unknown field, missing field -> 400
  ``InvalidParameter`` naming the field. Unknown id in the path or in the body -> 404.
* PublishMessage: body over 65536 bytes -> 413 ``PayloadTooLarge``; the 61st message on a topic within
  a rolling minute -> 429 ``TooManyRequests``. Answer 200 ``{"messageId", "timeStamp"}``.
* Invoke: 200 (sync) or 202 (``fn-invoke-type: detached``), empty body; recorded; unknown function -> 404.
  A function created with a ``socketPath`` (a running fdk process) runs its sync invocations there and
  answers with its result (``functions/agent.py``).
* Compute: ``GET /20160918/bootVolumeAttachments?availabilityDomain=&compartmentId=`` (both required,
  else 400 ``MissingParameter``; ``instanceId``, ``bootVolumeId`` filter) for instances launched through
  the control API; the launch records ``com.oraclecloud.computeapi.launchinstance.end`` (source
  ``ComputeApi``, resourceId = the instance) and no ``createbootvolume.end`` for its boot volume.
* Events: CloudEvents 0.1 envelopes (``events.py``) recorded when the change happens:
  ``createvolume.end``, ``createbootvolume.end``, ``createvolumegroup.end`` (control-created
  resources); ``create{volume,bootvolume,volumegroup}backup.begin`` and ``.end`` (AVAILABLE;
  ``additionalDetails`` has ``volumeId`` or ``volumeGroupId``, ``sourceType``, ``status:
  operationSucceed``); ``copy{volume,bootvolume}backup.begin`` / ``.end`` in the destination region
  (resourceId = the copy); ``copyvolumegroupbackup.begin`` / ``.end`` likewise (an assumption: the catalog
  lists no such type); ``update*backup``; ``delete*backup.begin`` / ``.end``. Member backups of a group
  emit none.
* Locks: the four lock fields on Create*/Update* bodies, seed bodies and the three backup resources, with
  ``timeRetentionExpiresAt`` on the emulator clock; a delete of a locked backup -> 409 ``Conflict``; a
  running retention lock cannot be shortened or removed (409 ``Conflict``); copies carry no lock until
  updated (rules and assumptions in ``blockstorage/locks.py``).
* Identity: ``GET /20160918/compartments?compartmentId=&compartmentIdInSubtree=&lifecycleState=``
  (subtree only from the tenancy, else 400 ``InvalidParameter``), ``GET /20160918/compartments/{id}``,
  ``GET /20160918/regions``, ``GET /20160918/tenancies/{id}/regionSubscriptions``.
* PostMetricData (``monitoring/models.py`` has the rules and the assumptions): each metric object is
  validated (namespace and name patterns, reserved ``oci_`` / ``oracle_`` prefixes, 1..20 dimensions with
  non-empty values, datapoint timestamps less than 2 h past / 10 min future of the emulator clock,
  ``count`` > 0, a known compartment); 200 ``{"failedMetricsCount", "failedMetrics": [{"message",
  "metricData"}]}`` with the valid ones stored (``NON_ATOMIC``); 400 ``InvalidParameter`` when none
  passes, when any fails under ``ATOMIC``, or for more than 50 unique streams; the 51st call within a
  second per tenancy -> 429 ``TooManyRequests`` (``metrics_posts_per_second``).
* ``GET /20160918/workRequests/{id}`` tracks a copy (its id is the copy's ``opc-work-request-id``).

Control API (unsigned, JSON, under ``{base}/_emulator/``)
=========================================================
``tenancyId`` defaults to ``DEFAULT_TENANCY`` wherever it is accepted.

=============================================  ==================================================================
``GET  health``                                ``{"status": "ok", "now"}``
``POST reset``                                 wipe all state, keys, recordings, faults; clock and settings
                                               back to their start values
``POST keys``                                  ``{"keyId": "<tenancy>/<user>/<fingerprint>", "publicKeyPem"}``
``POST resource-principal``                    ``{"region", "tenancyId"?, "compartmentId"?, "ttlSeconds"?}`` ->
                                               ``{"rpst", "privateKeyPem", "region", "tenancyId",
                                               "compartmentId", "expiresAt"}``; sign with keyId ``ST$<rpst>``;
                                               ``exp`` is real wall-clock time (a negative ttl gives an expired
                                               token)
``POST resource-principal/revoke``             ``{"rpst"}`` -> later requests with it get 401
``POST compartments``                          ``{"name", "parentId"?, "tenancyId"?, "description"?}`` -> Compartment
``GET  compartments?tenancyId=``               ``{"compartments": [...]}``
``POST {region}/volumes``                      ``{"compartmentId", "displayName", "freeformTags"?, "definedTags"?,
                                               "sizeInGBs"?, "availabilityDomain"?, "volumeGroupId"?,
                                               "tenancyId"?}`` -> Volume (AVAILABLE)
``POST {region}/bootVolumes``                  same, plus ``"imageType"``: platform | custom | marketplace,
                                               ``"imageId"?`` -> BootVolume
``POST {region}/volumeGroups``                 ``{"compartmentId", "displayName", "volumeIds", "freeformTags"?,
                                               "definedTags"?, "tenancyId"?}`` -> VolumeGroup
``POST {region}/volumeBackups``                seed a finished backup: ``{"volumeId", "displayName"?, "sourceType"?:
                                               MANUAL|SCHEDULED, "type"?, "ageSeconds"?, "expiresInSeconds"?,
                                               "lifecycleState"?: AVAILABLE|FAULTY|TERMINATED, "freeformTags"?,
                                               "definedTags"?, "announce"?: emit begin/end events, "tenancyId"?}``
``POST {region}/bootVolumeBackups``            the same with ``"bootVolumeId"``
``POST {region}/topics``                       ``{"compartmentId", "name", "tenancyId"?}`` -> topic with ``topicId``
                                               and its own ``apiEndpoint`` (``{base}/ons-{key}/{region}``)
``POST {region}/functions``                    ``{"compartmentId", "displayName", "applicationId"?, "tenancyId"?}``
                                               -> Function with ``id`` and its own ``invokeEndpoint``
``POST {region}/instances``                    ``{"compartmentId", "displayName", "availabilityDomain"?,
                                               "imageType"?, "freeformTags"?, "definedTags"?, "tenancyId"?}`` ->
                                               Instance + ``bootVolume``: launch (boot volume, attachment, event)
``GET  tag-namespaces`` / ``POST tag-namespaces``  ``{"namespaces": [...], "tenancyId"?}``: the defined-tag
                                               namespaces the tenancy's callers may write (replaces; never
                                               ``Oracle-Tags``)
``GET  {region}/topics/{id}/messages``         ``{"messages": [{"messageId", "title", "body", "timeStamp",
                                               "messageType"}]}`` (``?tenancyId=``)
``GET  events?since=N``                        ``{"events": [{"region", "tenancyId", "event": <envelope>}],
                                               "next": M}``; pass ``since=M`` next time
``GET  invocations?since=N``                   ``{"invocations": [{"functionId", "region", "tenancyId",
                                               "invokeType": sync|detached, "body", "headers", "time"}],
                                               "next": M}``
``GET  calls``                                 ``{"calls": {"<region> <Operation>": N}, "refused": {"<region>
                                               <Operation> <status>": N}}``: API requests that passed signature
                                               verification, per region and operation; of those, the ones an
                                               injected fault or rate limit answered (e.g. 429), per status
``GET  metrics?tenancyId=&region=``            ``{"metrics": [<MetricDataDetails as posted>]}``: custom metrics
                                               PostMetricData accepted, in arrival order (``region`` optional)
``GET  clock`` / ``POST clock``                ``{"advanceSeconds": N}`` moves the emulator clock forward and
                                               applies due transitions -> ``{"now", "epochSeconds",
                                               "offsetSeconds"}``
``GET  faults`` / ``POST faults``              ``{"rules": [rule, ...], "seed"?}`` replaces all rules
``GET  settings`` / ``POST settings``          partial update (snake or camel case) of ``core/settings.py``:
                                               ``creating_after``, ``committed_after``, ``available_after``,
                                               ``copy_available_after``, ``terminating_after``, ``latency_seconds``,
                                               ``max_copies_in_flight``, ``publish_per_minute``,
                                               ``max_message_bytes``, ``metrics_posts_per_second``,
                                               ``subscribed_regions``, ``copies_keep_source_id``, ...
=============================================  ==================================================================

A fault rule: ``{"operation": "CreateVolumeBackup" | "*", "region"?, "errorRate": 0..1, "status": 429 or
any 5xx (500, 501, 503, 505, ...), "latencySeconds", "dropRate": 0..1, "rateLimitPerSecond", "burst",
"count"?}``. Operation names are the OCI ones (``GetVolumeBackup``, ``CopyBootVolumeBackup``, ``ListCompartments``,
``PublishMessage``, ``InvokeFunction``, ...). Faults act after signature verification and before any
state changes: latency first, then the token bucket (429 ``TooManyRequests``), then a dropped
connection (socket closed, no answer), then an error answer (429 ``TooManyRequests``, 500
``InternalServerError``, 501 ``MethodNotImplemented``, 503 ``ServiceUnavailable``, other 5xx with code
``InternalServerError``). ``count`` limits a rule to the next N matching requests.

Assumptions (named; not verified against a live tenancy)
========================================================
* A copy keeps its source's ``volumeId`` / ``bootVolumeId``, ``timeCreated``, ``sourceType`` and tags
  (``copies_keep_source_id=false`` drops the ids; the product counts a boot volume's copies in flight by
  ``sourceBootVolumeBackupId`` too, so it does not rely on it).
* A new backup receives the source volume's tags, Oracle-Tags included (the Block Volume backup docs
  say a backup gets the volume's tags).
* Launching an instance emits ``computeapi.launchinstance.end`` and no ``createbootvolume.end``.
* A second delete of a TERMINATING backup changes nothing (204); TERMINATING lasts ``terminating_after``.
* Another topic's / function's endpoint, or the wrong region in it, answers 404 ``NotAuthorizedOrNotFound``;
  the code OCI gives an injected 502/504/505 is ``InternalServerError``.

Running
=======
* pytest: ``pytest_plugins = ["tests.emulator.fixtures"]`` gives ``emulator`` (session), ``emu``
  (reset per test, an ``EmulatorControl``), ``api_key`` (a registered key and its ``RequestSigner``)
  and ``signed_api`` (``api_client.SignedApi``: raw signed HTTP with that key).
* standalone: ``python -m tests.emulator --port 8123 [--host H] [--latency S]`` prints
  ``OCI emulator listening on http://H:N`` and serves until SIGINT/SIGTERM.
* in code: ``with Emulator() as emu: EmulatorControl(emu.base_url) ...``
"""

from __future__ import annotations

from .control_client import EmulatorControl, EmulatorControlError
from .core.ids import DEFAULT_TENANCY
from .core.settings import Settings
from .server import Emulator

__all__ = ["DEFAULT_TENANCY", "Emulator", "EmulatorControl", "EmulatorControlError", "Settings"]
