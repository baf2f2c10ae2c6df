"""``bench/ab.py`` (this checkout against a git revision) keeps working: one tiny round against
HEAD prints every figure with parsable medians and ratios, and removes its worktree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ab_against_head_prints_every_figure_and_cleans_up(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ab.py"), "HEAD", "--runs", "1", "--specs", "3", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = re.findall(
        r"^\| ([^|]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \| ([\d.]+)x \| ([\d.]+)x \|$", done.stdout, re.M
    )
    assert [f[0] for f in figures] == [
        "`validate`, one small spec",
        "first `compile`, 3 specs x 20 tasks",
        "no-op `compile`, the same 3",
    ]
    for _, this, rev, median, low, high in figures:
        assert float(this) > 0
        assert float(rev) > 0
        assert 0 < float(low) <= float(median) <= float(high)
    assert not list(tmp_path.glob("tree-*")), "the revision's worktree was left behind"
    listed = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True)
    assert str(tmp_path) not in listed.stdout
