"""This checkout against an earlier revision, in one interleaved run: did a change make anything slower?

Usage (with the project venv's Python):
    python bench/ab.py REV [--runs N] [--specs N]      e.g. python bench/ab.py v0.1.0

REV is checked out (``git worktree``) under bench/.work/ab/; both trees run with this venv's
Python and packages (``PYTHONPATH`` picks the tree), byte-compiled first, and each in its own
project folder so neither reads the other's compile cache. Figures, round by round, the two
trees alternating: ``validate`` of one small spec, a first ``compile`` of N specs of 20 tasks
(no output, no cache), and a no-op ``compile`` of the same N right after (output and cache
current). Prints a Markdown
table of medians and of the ratios this/REV taken run by run: 1.00x is no change.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))  # run as a script: the sibling modules are plain modules

import gen  # noqa: E402
from timing import Measure, Run, command_measure, interleaved, pairwise  # noqa: E402

ONE_SPEC = REPO / "specs" / "hello_world.yaml"


def checkout(rev: str, work: Path) -> Path:
    """A worktree of ``rev`` (re-made each run, so it is exactly that revision)."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = work / f"tree-{sha[:12]}"
    if tree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(tree), sha], check=True)
    return tree


def project(folder: Path, specs: int) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    gen.write_specs(folder / "specs", specs, 20)
    shutil.copy(ONE_SPEC, folder / "one.yaml")
    return folder


COMPILE = ("compile", "--specs-dir", "specs", "--out", "out", "specs")


def _wrote_nothing(run: Run) -> None:
    if " 0 written" not in run.stderr:
        raise RuntimeError(f"the no-op compile wrote files:\n{run.stderr[-2000:]}")


def measures(label: str, tree: Path, folder: Path) -> dict[str, Measure]:
    def cmd(*args: str) -> list[str]:
        return [sys.executable, "-m", "dagfactory", *args]

    env = {**os.environ, "PYTHONPATH": str(tree)}

    def cold() -> None:  # a first compile: no output and no incremental-compile cache (it lives in the cwd)
        shutil.rmtree(folder / "out", ignore_errors=True)
        shutil.rmtree(folder / ".dagfactory_cache", ignore_errors=True)

    return {
        f"validate.{label}": command_measure(cmd("validate", "one.yaml"), cwd=folder, env=env),
        f"compile.{label}": command_measure(cmd(*COMPILE), cwd=folder, env=env, before=cold),
        f"noop.{label}": command_measure(cmd(*COMPILE), cwd=folder, env=env, check=_wrote_nothing),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the revision to compare with (a tag, branch or commit)")
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (default 7, after one warm-up)")
    parser.add_argument("--specs", type=int, default=1000, help="specs in the compile figures (default 1000)")
    parser.add_argument(
        "--work", type=Path, default=HERE / ".work" / "ab", help="scratch folder (default bench/.work/ab)"
    )
    args = parser.parse_args(argv)
    work = args.work.resolve()

    base = checkout(args.rev, work)
    for tree in (REPO, base):
        compileall.compile_dir(tree / "dagfactory", quiet=1)
    trees = {"this": (REPO, project(work / "this", args.specs)), "rev": (base, project(work / "rev", args.specs))}
    both = measures("this", *trees["this"]) | measures("rev", *trees["rev"])
    # The no-op figures need a current output and cache: one compile of each tree first.
    for tree, folder in trees.values():
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(
            [sys.executable, "-m", "dagfactory", *COMPILE], cwd=folder, env=env, capture_output=True, check=True
        )
    series = interleaved(both, args.runs, warmup=1)

    print(f"This checkout against {args.rev} ({base.name[5:]}), {args.runs} interleaved rounds:\n")
    print("| figure | this (median s) | rev (median s) | this / rev, run by run: median | min | max |")
    print("|---|---:|---:|---:|---:|---:|")
    for figure, what in (
        ("validate", "`validate`, one small spec"),
        ("compile", f"first `compile`, {args.specs} specs x 20 tasks"),
        ("noop", f"no-op `compile`, the same {args.specs}"),
    ):
        this, rev = series[f"{figure}.this"], series[f"{figure}.rev"]
        ratio = pairwise(this, rev)
        print(
            f"| {what} | {this.median:.3f} | {rev.median:.3f} | "
            f"{ratio.median:.2f}x | {ratio.low:.2f}x | {ratio.high:.2f}x |"
        )
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
