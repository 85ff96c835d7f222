"""The tool's own marker tags, tag merging that never drops what others set, and which defined tags
the tool may write.

Every backup or copy the tool makes carries freeform tags it owns (keys below); retention only
ever touches resources whose ``backup-managed-by`` says they are ours.

Defined tags, one rule for every handler: ``Oracle-Tags`` (``CreatedBy``, ``CreatedOn``, set by OCI
itself) is never written; other namespaces are copied from a source only when listed in
``COPY_DEFINED_TAG_NAMESPACES``, since writing them needs ``use tag-namespaces`` on each namespace.

OCI's tag limits (docs: "Tagging Overview", limits on tags; tag key definitions): at most 64 tags on a
resource, free-form and defined together; keys of at most 100 characters, values of at most 256.
``fit`` keeps the tool's own tags and fills the room left with what it copies (a source's tags).
"""

from collections.abc import Collection, Mapping
from typing import Any, Final, NamedTuple

MANAGED_BY_KEY: Final = "backup-managed-by"
MANAGED_BY_VALUE: Final = "oci-block-backup"
TRIGGER_KEY: Final = "backup-trigger"
RUN_KEY: Final = "backup-run"  # short hash of the idempotency key of the run that made it
SOURCE_KEY: Final = "backup-source-id"  # the volume (or backup, for copies) it was made from
SOURCE_REGION_KEY: Final = "backup-source-region"
ORACLE_TAGS: Final = "Oracle-Tags"  # OCI's own namespace (CreatedBy, CreatedOn): never written
CALL_KEY: Final = "backup-call"  # the call that asked for it: a concurrent run's replay is refused, not counted twice
TOOL_KEYS: Final = frozenset({MANAGED_BY_KEY, TRIGGER_KEY, RUN_KEY, SOURCE_KEY, SOURCE_REGION_KEY, CALL_KEY})
MAX_TAGS: Final = 64  # per resource, free-form and defined together
MAX_TAG_KEY: Final = 100
MAX_TAG_VALUE: Final = 256
FreeformTags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]


def is_managed(freeform: Mapping[str, str]) -> bool:
    return freeform.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def run_tag(idempotency_key: str) -> str:
    """A short, stable tag value for a run (the hash part of ``function#sha256``)."""
    return idempotency_key.rsplit("#", 1)[-1][:16]


def marker(trigger: str, idempotency_key: str, source_id: str, call_id: str = "", **extra: str) -> FreeformTags:
    tags = {
        MANAGED_BY_KEY: MANAGED_BY_VALUE,
        TRIGGER_KEY: trigger,
        RUN_KEY: run_tag(idempotency_key),
        SOURCE_KEY: source_id,
        **extra,
    }
    if call_id:
        tags[CALL_KEY] = call_id[:MAX_TAG_VALUE]
    return tags


def tag_count(freeform: Mapping[str, Any], defined: Mapping[str, Mapping[str, Any]]) -> int:
    return len(freeform) + sum(len(values) for values in defined.values())


class Fitted(NamedTuple):
    """Tags that fit OCI's limits, and the copied ones left out to make them fit."""

    freeform: FreeformTags
    defined: DefinedTags
    left_out: tuple[str, ...] = ()

    def note(self, what: str = "source") -> str:
        if not self.left_out:
            return ""
        return f"{len(self.left_out)} {what} tag(s) not copied (OCI allows {MAX_TAGS} tags per resource)"


def _fits(key: str, value: Any) -> bool:
    return 0 < len(key) <= MAX_TAG_KEY and len(str(value)) <= MAX_TAG_VALUE


def fit(
    copied_freeform: Mapping[str, str],
    copied_defined: Mapping[str, Mapping[str, Any]],
    own_freeform: Mapping[str, str],
    own_defined: Mapping[str, Mapping[str, Any]] | None = None,
) -> Fitted:
    """Own tags always stay (and win key by key); copied ones fill the room left, defined tags first
    (they may be required by tag defaults), then free-form ones, each in key order."""
    freeform: FreeformTags = dict(own_freeform)
    defined = merge_defined(own_defined)
    room = MAX_TAGS - tag_count(freeform, defined)
    left_out: list[str] = []
    for namespace in sorted(copied_defined):
        for key, value in sorted(copied_defined[namespace].items()):
            if key in defined.get(namespace, {}):
                continue
            if room > 0 and _fits(key, value):
                defined.setdefault(namespace, {})[key] = value
                room -= 1
            else:
                left_out.append(f"{namespace}.{key}")
    for key, value in sorted(copied_freeform.items()):
        if key in freeform:
            continue
        if room > 0 and _fits(key, value):
            freeform[key] = value
            room -= 1
        else:
            left_out.append(key)
    return Fitted(freeform, defined, tuple(left_out))


def merge_freeform(*layers: Mapping[str, str] | None) -> FreeformTags:
    """Later layers win key by key; no key of an earlier layer is dropped."""
    merged: FreeformTags = {}
    for layer in layers:
        merged.update(layer or {})
    return merged


def merge_defined(*layers: Mapping[str, Mapping[str, Any]] | None) -> DefinedTags:
    """Namespace by namespace, key by key; later layers win."""
    merged: DefinedTags = {}
    for layer in layers:
        for namespace, values in (layer or {}).items():
            merged.setdefault(namespace, {}).update(values)
    return merged


def is_oracle_namespace(namespace: str) -> bool:
    """Namespace names are case-insensitive in OCI."""
    return namespace.lower() == ORACLE_TAGS.lower()


def copyable_defined(defined: Mapping[str, Mapping[str, Any]] | None, namespaces: Collection[str]) -> DefinedTags:
    """The defined tags of a source the tool may copy: only the listed ``namespaces`` (case-insensitive),
    never ``Oracle-Tags``."""
    allowed = {ns.lower() for ns in namespaces}
    return {
        ns: dict(values)
        for ns, values in (defined or {}).items()
        if ns.lower() in allowed and not is_oracle_namespace(ns)
    }


def contains(have: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """True when every key/value of ``want`` is already in ``have`` (nested for defined tags)."""
    for key, value in want.items():
        if isinstance(value, Mapping):
            inner = have.get(key)
            if not isinstance(inner, Mapping) or not contains(inner, value):
                return False
        elif have.get(key) != value:
            return False
    return True
