"""Functions invoke (``/20181201/functions/{id}/actions/invoke``): recorded, not executed."""
