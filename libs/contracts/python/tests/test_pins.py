"""jsonschema is pinned once per venv that imports sparkflow_contracts; every pin must be the same version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def pin(path: Path, package: str) -> str:
    found = re.findall(rf"^{package}==(\S+)$", path.read_text(encoding="utf-8"), re.M)
    assert len(found) == 1, f"{path} pins {package} {len(found)} times"
    return found[0]


def test_every_venv_gets_the_jsonschema_the_package_declares():
    declared = tomllib.loads((PACKAGE_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert declared == [f"jsonschema=={pin(REPO_ROOT / 'airflow/constraints.txt', 'jsonschema')}"]
    version = declared[0].split("==")[1]
    for requirements in ("airflow/requirements.txt", "spark-jobs/requirements.txt", "libs/contracts/python/requirements-test.txt"):
        assert pin(REPO_ROOT / requirements, "jsonschema") == version, requirements
