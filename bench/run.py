"""Benchmark dagfactory against the floor, hand-written DAGs and its peers; print Markdown.

Usage (with the project venv's Python, so `dagfactory` is the one under test):
    python bench/run.py            # full run: >= 5 timed runs after a warm-up; writes bench/results.md
    python bench/run.py --quick    # one run, tiny sizes, peers included (installs them if needed)
    python bench/run.py --smoke    # one run, tiny sizes, no peers and no installs (the test suite runs this)
    python bench/run.py --only scale --runs 1 --output bench/results-scale.md
                                   # repositories of 1,000 and 10,000 specs (only when named: long)
    python bench/run.py --only examples --output bench/results-examples.md   # one section, written alone

Peers (astronomer dag-factory with Airflow 3.3.2, check-jsonschema) are installed into
venvs under bench/.work/ on first use and reused after.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run as a script: the sibling modules are plain modules

import examples  # noqa: E402
import hostile  # noqa: E402
import peers  # noqa: E402
import scale  # noqa: E402
import sections  # noqa: E402
from report import render  # noqa: E402

RESULTS = HERE / "results.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run, no warm-up, tiny sizes")
    parser.add_argument("--smoke", action="store_true", help="like --quick, without peers (no installs)")
    parser.add_argument("--runs", type=int, help="timed runs per figure (default 5; 1 with --quick/--smoke)")
    parser.add_argument("--work", type=Path, default=peers.WORK, help="scratch folder (default bench/.work)")
    parser.add_argument("--output", type=Path, help="also write the table here (full runs: bench/results.md)")
    parser.add_argument(
        "--only",
        choices=sorted(SECTIONS),
        action="append",
        help="run only this section (repeatable); the table is then written only where --output says. "
        f"Run only when named: {', '.join(sorted(ON_DEMAND))}",
    )
    return parser.parse_args(argv)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def airflow_version(python: str) -> str:
    code = "import importlib.metadata as m; print(m.version('apache-airflow'))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "not installed"


def header(args: argparse.Namespace, ctx: sections.Context, argv: list[str]) -> list[str]:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    lines = [
        "# dagfactory benchmark",
        "",
        f"- command: `python bench/run.py{' ' + ' '.join(argv) if argv else ''}` ({mode} mode), "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- each figure: median of {ctx.runs} timed run(s) after {ctx.warmup} warm-up round(s), all tools "
        "interleaved round by round; ratios are taken run by run (run i over run i), then summarised",
        f"- dagfactory {importlib.metadata.version('dagfactory')}; Airflow {airflow_version(ctx.python)} "
        "(project venv) for our output and the hand-written DAGs",
    ]
    if ctx.peers:
        lines.append(
            f"- peers: dag-factory {peers.version(peers.DAG_FACTORY, 'dag-factory')} with Airflow "
            f"{peers.version(peers.DAG_FACTORY, 'apache-airflow')} and check-jsonschema "
            f"{peers.version(peers.CHECK_JSONSCHEMA, 'check-jsonschema')}, each in its own venv under bench/.work/"
        )
    elif args.smoke:
        lines.append("- peers: not measured (--smoke: our tool, the floor and hand-written Python only)")
    else:
        lines.append(f"- peers: not measured (--only {' '.join(args.only)}: no section run compares with them)")
    return lines


def precompile() -> str:
    """Byte-compile dagfactory's modules, as pip does when it installs a package.

    The benchmark's dagfactory is an editable install of this checkout; where
    PYTHONDONTWRITEBYTECODE is set (this machine sets it) nothing would ever cache the
    bytecode, and every timed run would compile every module from source first, a cost
    no installed copy pays. The peers are pip-installed, so theirs is compiled already.
    """
    package = HERE.parent / "dagfactory"
    if not compileall.compile_dir(str(package), quiet=1):
        raise SystemExit(f"bench: could not byte-compile {package}")
    return "- bytecode: dagfactory's modules byte-compiled before timing (as `pip install` does)"


SECTIONS = {
    "validate": sections.validate_section,
    "compile": sections.compile_section,
    "parse": sections.parse_section,
    "bigspec": sections.bigspec_section,
    "hostile": hostile.hostile_section,
    "scale": scale.scale_section,
    "examples": examples.examples_section,
}
ON_DEMAND = {"scale"}  # minutes at full size: run only when --only names it
NEEDS_PEERS = {"validate", "parse"}  # the sections that time dag-factory or check-jsonschema


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    tiny = args.quick or args.smoke
    sizes = sections.SMOKE if args.smoke else sections.QUICK if args.quick else sections.FULL
    runs = args.runs or (1 if tiny else 5)
    chosen = args.only or [name for name in SECTIONS if name not in ON_DEMAND]
    peers_wanted = not args.smoke and bool(NEEDS_PEERS & set(chosen))
    ctx = sections.Context(args.work.resolve(), sizes, runs, 0 if tiny else 1, peers=peers_wanted)
    if ctx.peers:
        for peer in peers.PEERS:
            peers.install(peer, log=lambda msg: print(msg, file=sys.stderr))
    bytecode = precompile()
    results = []
    for step in (SECTIONS[name] for name in SECTIONS if name in chosen):
        print(f"running {step.__name__} ...", file=sys.stderr, flush=True)
        results.append(step(ctx))
    text = render([*header(args, ctx, argv), bytecode], results)
    sys.stdout.write(text)
    output = args.output or (None if tiny or args.only else RESULTS)
    if output:
        output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
