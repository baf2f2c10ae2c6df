"""Shared defaults: `_defaults.yaml` files, nearest wins, the spec wins over all."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import run_cli

ROOT_DEFAULTS = """\
owner: data-eng
business_owner:
  name: Data Platform
  email: platform@example.com
schedule: "@daily"
start_date: 2024-01-01
tags: [platform]
default_args:
  retries: 2
  retry_delay: 5m
"""
TEAM_DEFAULTS = """\
business_owner:
  name: Marketing
tags: [marketing]
default_args:
  retries: 4
"""
SPEC = """\
description: Daily sales
default_args:
  retry_delay: 1m
tasks:
  load: {operator: empty}
"""


def make(project: Path) -> Path:
    team = project / "specs" / "marketing"
    team.mkdir(parents=True)
    (project / "specs" / "_defaults.yaml").write_text(ROOT_DEFAULTS)
    (team / "_defaults.yaml").write_text(TEAM_DEFAULTS)
    (team / "sales.yaml").write_text(SPEC)
    (project / "specs" / "plain.yaml").write_text("description: Plain\ntasks:\n  a: {operator: empty}\n")
    return team


def test_nearest_wins_spec_wins_mappings_merge_lists_replace(project: Path):
    make(project)
    proc = run_cli("compile", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(
        p.relative_to(project / "generated_dags").as_posix() for p in (project / "generated_dags").rglob("*.py")
    ) == ["marketing/sales.py", "plain.py"]
    sales = (project / "generated_dags" / "marketing" / "sales.py").read_text()
    assert 'tags=["marketing"],' in sales  # a list is replaced by the nearer file
    assert '"owner": "data-eng",' in sales  # from the root defaults
    assert '"retries": 4,' in sales
    assert '"retry_delay": timedelta(minutes=1),' in sales
    assert "| Business owner | Marketing <platform@example.com> |" in sales  # mappings merge key by key
    plain = (project / "generated_dags" / "plain.py").read_text()
    assert 'tags=["platform"],' in plain
    assert '"retries": 2,' in plain


def test_problems_in_defaults_point_at_the_defaults_file_once(project: Path):
    team = make(project)
    (team / "_defaults.yaml").write_text(TEAM_DEFAULTS.replace("retries: 4", "retries: four") + "tasks: {}\n")
    (team / "more.yaml").write_text(SPEC.replace("Daily sales", "More sales"))
    data = json.loads(run_cli("validate", "--format", "json", cwd=project).stdout)
    assert [(d["path"], d["line"], d["column"], d["code"]) for d in data] == [
        ("specs/marketing/_defaults.yaml", 5, 12, "DF103"),
        ("specs/marketing/_defaults.yaml", 6, 1, "DF101"),
    ]


def test_broken_defaults_file_is_reported_at_its_line(project: Path):
    make(project)
    (project / "specs" / "_defaults.yaml").write_text("owner: [a\n")
    proc = run_cli("validate", cwd=project)
    assert proc.returncode == 1
    assert "specs/_defaults.yaml:2:1: error[DF001]" in proc.stdout


def test_changed_or_new_defaults_recompile_the_specs_below(project: Path):
    team = make(project)
    run_cli("compile", cwd=project)
    (team / "_defaults.yaml").write_text(TEAM_DEFAULTS.replace("retries: 4", "retries: 5"))
    assert "1 written, 1 unchanged" in run_cli("compile", cwd=project).stderr
    assert '"retries": 5,' in (project / "generated_dags" / "marketing" / "sales.py").read_text()
    (team / "_defaults.yaml").unlink()
    assert "1 written, 1 unchanged" in run_cli("compile", cwd=project).stderr
    (team / "_defaults.yaml").write_text(TEAM_DEFAULTS)
    assert "1 written, 1 unchanged" in run_cli("compile", cwd=project).stderr
    assert '"retries": 4,' in (project / "generated_dags" / "marketing" / "sales.py").read_text()
