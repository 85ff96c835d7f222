"""The image's fdk entrypoint: ``/python/bin/fdk /function/func.py handler``.

One image serves all three functions; the function config key ``HANDLER`` picks the handler
(``create_backup``, ``copy_backup``, ``retag_group_backup``). See ``shared/fdk.py`` and ``shared/runtime.py``.

Two things here are for the cold start only (measured by ``make bench``, ``bench/RESULTS.md``):
- pydantic plugins are off (``PYDANTIC_DISABLE_PLUGINS``): the functions use none, and looking for
  them reads the entry points of every installed distribution when the first model is built (about
  6 ms). Set the variable yourself to load plugins anyway.
- ``requests`` is imported here, at the top of the call stack, before our modules. Imported from
  deep in our import chain, urllib3's regular expressions were compiled at a call depth on the edge
  of one of CPython 3.12's 16 KiB frame-stack chunks, which 3.12 frees and maps again on every
  return and call across it (python/cpython#142183, fixed in 3.13): 3,000 mmap/munmap pairs, 3,000
  more page faults, about 20 ms.
"""

import os

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import requests  # noqa: F401 - see above

from shared.fdk import handler

__all__ = ["handler"]
