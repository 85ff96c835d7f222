"""The backup rules the handlers share: names (``naming``), tags (``tags``), what retention keeps
(``retention``) and when a trigger is a repeat (``idempotency``). Pure functions, no I/O."""
