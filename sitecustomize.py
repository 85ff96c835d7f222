"""Run by Python at start-up (the image's and the tests' PYTHONPATH starts at this folder), before the fdk.

``FDK_DEBUG=1`` makes the fdk log every request's headers, the gateway's ``X-Gateway-Token`` among them,
from its own logger and before our code is even imported (the fdk loads ``func.py`` on the first call).
The setting is dropped here, before ``import fdk`` reads it; our own logs never carry headers.
"""

import os

os.environ.pop("FDK_DEBUG", None)
