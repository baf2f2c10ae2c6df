"""Peer tools the benchmark compares against, each installed in its own venv under bench/.work/.

The venvs are reused when their marker file names the same requirements, so a rerun
costs nothing; a changed pin rebuilds that venv. Our own package is never installed
in a peer venv: astronomer's dag-factory is also the import name ``dagfactory``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
AIRFLOW_PIN = "apache-airflow==3.3.2"


@dataclass(frozen=True)
class Peer:
    name: str
    requirements: tuple[str, ...]

    @property
    def venv(self) -> Path:
        return WORK / "venvs" / self.name

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def script(self, name: str) -> Path:
        return self.venv / "bin" / name


# dag-factory 1.x imports Airflow even for `lint`, so its venv carries the same Airflow
# (and standard provider, for Bash/Python/Empty operators) that our generated DAGs run on.
DAG_FACTORY = Peer("dag-factory", ("dag-factory==1.1.0", AIRFLOW_PIN, "apache-airflow-providers-standard"))
CHECK_JSONSCHEMA = Peer("check-jsonschema", ("check-jsonschema",))
# dagfactory as pre-commit installs it: its own venv with only its runtime dependencies
# (editable, so it always runs this checkout's code). The project venv also carries Airflow,
# whose extra packages (arrow, isoduration ...) jsonschema then imports for its format checks.
OURS_LEAN = Peer("dagfactory-lean", ("-e", str(Path(__file__).resolve().parent.parent)))
PEERS = (DAG_FACTORY, CHECK_JSONSCHEMA, OURS_LEAN)


def _marker(peer: Peer) -> Path:
    return peer.venv / ".bench-requirements"


def version(peer: Peer, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    return subprocess.run([str(peer.python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def is_installed(peer: Peer) -> bool:
    marker = _marker(peer)
    return peer.python.exists() and marker.exists() and marker.read_text() == "\n".join(peer.requirements)


def install(peer: Peer, log: Callable[[str], object] = print) -> None:
    """Create the peer's venv and pip-install its pinned requirements (skipped when current)."""
    if is_installed(peer):
        return
    log(f"installing {peer.name} into {peer.venv} (one time) ...")
    peer.venv.parent.mkdir(parents=True, exist_ok=True)
    # The base interpreter, not this venv's: a peer venv must not see our packages.
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", "--clear", str(peer.venv)], check=True)
    pip = [str(peer.python), "-m", "pip", "install", "--disable-pip-version-check"]
    log_file = WORK / f"install-{peer.name}.log"
    with log_file.open("w") as out:
        done = subprocess.run([*pip, *peer.requirements], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"installing {peer.name} failed; see {log_file}")
    _marker(peer).write_text("\n".join(peer.requirements))


if __name__ == "__main__":
    for each in PEERS:
        install(each)
