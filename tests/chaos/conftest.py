"""The chaos tests run the distributed tests' cluster and objectives."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "distributed"))
