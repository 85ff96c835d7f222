"""The product's version: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``); ``func.yaml``, the image tags in the
docs and the newest ``CHANGELOG.md`` section must say the same (``tests/test_release.py``)."""

__version__ = "0.1.0"
