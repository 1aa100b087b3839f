"""``python -m dnnsolve.cli``: the ``dnnsolve`` command."""

import sys

from .root import main

sys.exit(main())
