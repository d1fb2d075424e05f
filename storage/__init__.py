"""The newsroom's SQLite store (`storage.store.Store`).

sqlite-utils imports numpy when it is installed, only to map numpy types to SQL types;
the store never writes a numpy value, and numpy (installed for matplotlib's charts)
costs about 10 MiB and 40 ms of every start-up. So sqlite-utils is loaded here, first,
with numpy hidden from it; numpy itself stays importable (a chart imports it when drawn).
"""

import sys

if "sqlite_utils" not in sys.modules and "numpy" not in sys.modules:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # importing it raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]
