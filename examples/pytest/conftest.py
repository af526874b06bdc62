import sys
from pathlib import Path

# `from flows import ...` in the tests, wherever pytest is started.
sys.path.insert(0, str(Path(__file__).resolve().parent))
