"""The image's fdk entrypoint: ``/python/bin/fdk /function/func.py handler``.

One image serves all three functions; the function config key ``HANDLER`` picks the handler
(``create_backup``, ``copy_backup``, ``retag_group_backup``). See ``shared/runtime.py``.
"""

from shared.runtime import handler

__all__ = ["handler"]
