"""``make demo``: the three functions as real fdk processes against the local OCI emulator.

``python -m demo`` starts the emulator (home region ``us-ashburn-1``, DR region ``us-phoenix-1``) and
one topic, issues resource-principal credentials per function, starts ``fdk func.py handler`` three
times (one image, ``HANDLER`` per function) and then plays the OCI services around them:

- the Events service: every event the emulator recorded in the home region is delivered to the
  function whose rule matches its type (the rules of ``terraform/locals.tf``); events of other
  regions have no rule;
- the Resource Scheduler: a schedule body ``{"trigger": "schedule", "schedule": "create-backup"}``;
- API Gateway: an HTTP call without and with the gateway's authentication headers.

Each step prints what happened as plain-text tables, what the operator sees in the tenancy (read
back over the signed OCI API with an operator's API key), the notifications as a subscriber gets
them, and checks its expectations. The exit code is 0 only when every check passed.

``demo/invoke.py`` (``make invoke``) is the manual run of one handler against a real tenancy, and
``demo/smoke.py`` (``make smoke``) the check of a deployed stack after ``terraform apply``.
"""
