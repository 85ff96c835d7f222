"""Monitoring custom metrics (``/20180401``): PostMetricData on the telemetry-ingestion host."""
