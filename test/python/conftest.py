"""pytest setup: import `accel` from the build tree.

The package is assembled in <build>/python; ACCEL_BUILD_DIR names the build
directory (default: build/ at the top of the source tree).
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("ACCEL_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))
