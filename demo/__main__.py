"""``python -m demo`` (``make demo``)."""

from demo.run import main

raise SystemExit(main())
