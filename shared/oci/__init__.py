"""An SDK-free OCI client: request signing, credentials, retries, endpoints and typed operations.

Usable on its own (it imports nothing from the rest of ``shared`` or from ``functions``):

- ``signing``: the RSA-SHA256 HTTP signature (``RequestSigner``);
- ``credentials`` (what signs), ``providers`` and ``config_file`` (where credentials come from:
  resource principal, session token, API key);
- ``client``: ``OciClient`` (timeouts, ``retry`` policy, ``ratelimit``, pagination, typed ``errors``);
- ``endpoints``, ``regions``: service hosts per region and realm;
- ``models``: pydantic models of the resources (``boot_group_models``: boot volumes and volume
  groups, imported on first use);
- one module per service: ``blockstorage``, ``compute`` (boot volume attachments), ``identity``,
  ``functions`` (GetFunction, invoke at the function's own endpoint), ``notifications`` (GetTopic,
  PublishMessage at the topic's own endpoint).
"""
