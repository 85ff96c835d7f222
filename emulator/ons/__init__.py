"""Notifications (``/20181201``): topics and PublishMessage."""
