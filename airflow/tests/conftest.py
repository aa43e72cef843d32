"""Shared by unit and integration tests: the include and contracts paths, and the DAGs folder."""

from __future__ import annotations

import sys
from pathlib import Path

AIRFLOW_DIR = Path(__file__).resolve().parents[1]
DAGS_DIR = AIRFLOW_DIR / "dags"
REPO_ROOT = AIRFLOW_DIR.parent

for path in (AIRFLOW_DIR / "include", REPO_ROOT / "libs" / "contracts" / "python"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
