"""Block Volume (Core, ``/20160918``): volumes, boot volumes, volume groups and their backups."""
