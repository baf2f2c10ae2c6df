"""`pools:` in specs: the cross-spec pool check and `dagfactory requirements --pools`, run as a user runs them."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from dagfactory.check.pools import Pool, pool_commands
from tests.conftest import run_cli

SPEC = """\
description: Uses pools
owner: data
business_owner: {{name: Data}}
schedule: null
start_date: 2024-01-01
{pools}tasks:
  a:
    operator: bash
    bash_command: echo a
{task_pool}"""


def _write(project: Path, name: str, pools: str = "", task_pool: str = "") -> Path:
    path = project / "specs" / f"{name}.yaml"
    path.write_text(SPEC.format(pools=pools, task_pool=task_pool), encoding="utf-8")
    return path


def test_task_naming_an_undeclared_pool_warns_at_its_line(project: Path) -> None:
    _write(project, "user", task_pool="    pool: warehouse\n")
    result = run_cli("validate", "specs", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "specs/user.yaml:10:11: warning[DF206]: pool 'warehouse' is not declared in any spec" in result.stdout


def test_pool_declared_in_another_spec_or_default_pool_is_fine(project: Path) -> None:
    _write(project, "owner", pools="pools:\n  warehouse: {slots: 2, description: the DWH}\n")
    _write(project, "user", task_pool="    pool: warehouse\n")
    _write(project, "plain", task_pool="    pool: default_pool\n")
    result = run_cli("validate", "specs", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "DF206" not in result.stdout + result.stderr, result.stdout


def test_conflicting_declarations_are_an_error(project: Path) -> None:
    _write(project, "one", pools="pools:\n  warehouse: {slots: 2}\n")
    _write(project, "two", pools="pools:\n  warehouse: {slots: 3}\n")
    result = run_cli("validate", "specs", cwd=project)
    assert result.returncode == 1
    assert "specs/two.yaml:7:3: error[DF206]: pool 'warehouse' is declared differently in specs/one.yaml" in (
        result.stdout
    )


def test_pool_needs_slots(project: Path) -> None:
    _write(project, "one", pools="pools:\n  warehouse: {description: no slots}\n")
    result = run_cli("validate", "specs", cwd=project)
    assert result.returncode == 1, result.stdout
    assert "DF102" in result.stdout, result.stdout


def test_requirements_pools_prints_sorted_quoted_commands_a_shell_reads_back(project: Path) -> None:
    hostile = "it's $(rm -rf /) `x`"
    _write(project, "one", pools=f'pools:\n  zeta: {{slots: 1}}\n  alpha: {{slots: 4, description: "{hostile}"}}\n')
    result = run_cli("requirements", "--pools", "specs", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [shlex.split(line) for line in lines] == [
        ["airflow", "pools", "set", "--", "alpha", "4", hostile],
        ["airflow", "pools", "set", "--", "zeta", "1", ""],
    ]
    # A real shell gives the hostile description back as one argument, unexpanded.
    echoed = subprocess.run(
        ["sh", "-c", lines[0].replace("airflow pools set --", "printf '%s\\n'")], capture_output=True
    )
    assert echoed.stdout.decode().splitlines() == ["alpha", "4", hostile]


def test_pool_commands_keep_one_line_per_pool() -> None:
    pools = [Pool("b", 1), Pool("a", 2, "x y"), Pool("b", 1)]
    assert pool_commands(pools) == ["airflow pools set -- a 2 'x y'", "airflow pools set -- b 1 ''"]


@pytest.mark.airflow
def test_option_like_pool_names_and_descriptions_reach_airflow_as_values(project: Path) -> None:
    """A pool named ``--help`` described as ``-rf``: Airflow's own CLI parser reads the printed line
    as that pool, not as options (the line puts them after ``--``)."""
    _write(project, "one", pools='pools:\n  "--help": {slots: 3, description: "-rf"}\n  -x: {slots: 1}\n')
    result = run_cli("requirements", "--pools", "specs", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    parse = (
        "import json, shlex, sys\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "for line in sys.stdin.read().splitlines():\n"
        "    args = get_parser().parse_args(shlex.split(line)[1:])\n"
        "    print(json.dumps([args.subcommand, args.pool, args.slots, args.description]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | {"AIRFLOW_HOME": str(project / "home")}
    parsed = subprocess.run(
        [sys.executable, "-c", parse], input=result.stdout, capture_output=True, text=True, env=env, timeout=300
    )
    assert parsed.returncode == 0, parsed.stderr[-3000:]
    assert [json.loads(line) for line in parsed.stdout.splitlines()] == [
        ["set", "--help", 3, "-rf"],
        ["set", "-x", 1, ""],
    ]


def test_a_groups_default_args_pool_must_be_declared_too():
    from dagfactory.check.pools import check_pools
    from dagfactory.load.document import load_text

    text = "groups:\n  g:\n    default_args: {pool: heavy}\ntasks:\n  t: {operator: empty, group: g}\n"
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None
    assert problems == []
    (found,) = check_pools([doc])["s.yaml"]
    assert (found.code, found.line, found.column, found.severity) == ("DF206", 3, 26, "warning")  # at the pool name
