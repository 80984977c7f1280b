"""``python -m mongo_stand_in [--host H] [--port P] [--log-level L] [--data-file PATH]``"""

import sys

from .server import main

sys.exit(main())
