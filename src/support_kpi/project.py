"""Where the dbt project and the dbt command are, for the commands that run dbt."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def project_dir() -> Path:
    """The dbt project: the working directory when it is one, else the checkout."""
    cwd = Path.cwd()
    if (cwd / "dbt_project.yml").is_file():
        return cwd
    return Path(__file__).resolve().parents[2]


def dbt_executable() -> str | None:
    """The dbt beside this Python, else the one on PATH; None when there is none."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.is_file():
        return str(beside)
    return shutil.which("dbt")
