"""Regenerate migration 0001 from the models (only until the first release; then add migrations).

Usage: .venv/bin/python tools/regen_initial_migration.py
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

from alembic import command

from scheduler.migrate import alembic_config

VERSIONS = pathlib.Path(__file__).resolve().parent.parent / "scheduler" / "migrations" / "versions"


def main() -> int:
    target = VERSIONS / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    second = VERSIONS / "0002_no_overlapping_visits.py"
    hidden = second.with_suffix(".hold")
    second.rename(hidden)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = alembic_config(f"sqlite:///{tmp}/empty.db")
            command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    finally:
        hidden.rename(second)
    text = target.read_text()
    text = "\n".join(line for line in text.splitlines() if not line.startswith("Create Date:"))
    target.write_text(text + "\n")
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(target)], check=True)
    subprocess.run([sys.executable, "-m", "ruff", "check", "-q", "--fix", str(target)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
