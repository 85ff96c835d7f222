"""Limits (``/20190729``): GetResourceAvailability on the limits host, for Block Volume's ``backup-count``."""
