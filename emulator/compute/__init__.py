"""Compute (Core, on the ``iaas`` host): instances launched through the control API, and
``ListBootVolumeAttachments`` (how a launched instance's boot volume is found)."""
