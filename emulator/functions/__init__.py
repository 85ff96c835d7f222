"""Functions: GetFunction on the management host (``functions``), InvokeFunction on each function's own
``invokeEndpoint`` host (``fn-{key}``), both at ``/20181201`` and ``/20260325``. Invocations are recorded,
not executed. Functions are created through the control API (``POST {region}/functions``)."""
