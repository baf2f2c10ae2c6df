"""The incremental-compile cache: skip parsing, validating and rendering unchanged specs.

A spec is "unchanged" when its bytes, the files it embeds (``.sql``), the compiler
itself (every source file and template of this package) and the settings that shape
the output are all byte-identical to the last successful compile, *and* the
cross-spec context its docs depend on (which pipelines produce and consume which
assets) is the same, *and* its output file still holds exactly what was written.
Anything else is compiled afresh, so the cache can make a compile faster but never
different. It lives in ``.dagfactory_cache/`` beside the project configuration
(or in the working directory), and is safe to delete at any time.

Its entries are keyed with a random per-user key kept outside every project
(:func:`machine_key`): a cache file that came from anywhere else (committed to the
repository, restored by CI, edited to vouch for a hand-made DAG) never matches, so
it can never decide what a compile writes. ``compile --check`` does not read it at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import Document, NodeInfo

CACHE_DIR = ".dagfactory_cache"
CACHE_FILE = "compile-v4.json"  # v4: positions are no longer stored
KEY_FILE = "cache-key"  # in the user's cache folder (XDG_CACHE_HOME or ~/.cache), under dagfactory/


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """A hash of this package's code and templates: a new compiler invalidates everything."""
    package = Path(__file__).resolve().parent.parent  # dagfactory/, not just emit/
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".jinja") and p.is_file()):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def machine_key() -> bytes | None:
    """This user's random cache key, made on first use (readable by the user only); None when it
    can be neither read nor made (then nothing is cached)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dagfactory"
    path = base / KEY_FILE
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(32))
            key = path.read_bytes()  # what a racing first run wrote, if it won
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find
        return None
    return key if len(key) == 32 else None


def context_fingerprint(documents: list[Document], parts: list[str | None] | None = None) -> str:
    """What a spec's generated docs may say about *other* specs: every spec's dag_id and lineage
    (its :func:`~dagfactory.check.lineage.context_part`, or the one given in ``parts``)."""
    from dagfactory.check.lineage import context_part

    given = parts or [None] * len(documents)
    text = ", ".join(
        part if part is not None else context_part(doc) for doc, part in zip(documents, given, strict=True)
    )
    return _sha(f"[{text}]".encode())  # the JSON list of the parts, as json.dumps writes it


class _LazyNodes(dict[Any, NodeInfo]):
    """Positions of a restored document, read again from its (unchanged) files on first use:
    a cache hit that reports nothing (the usual case) never pays for them, and the cache
    file does not carry them."""

    def __init__(self, reload: Callable[[], dict[Any, NodeInfo]]):
        super().__init__()
        self._reload: Callable[[], dict[Any, NodeInfo]] | None = reload

    def _load(self) -> None:
        if self._reload is not None:
            reload, self._reload = self._reload, None
            self.update(reload())

    def get(self, key: Any, default: Any = None) -> Any:
        self._load()
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def items(self) -> Any:
        self._load()
        return super().items()


class CompileCache:
    def __init__(self, folder: Path, settings: str):
        self.file = folder / CACHE_DIR / CACHE_FILE
        key = machine_key()
        self._secret = _sha(f"{compiler_fingerprint()}\0{settings}\0".encode() + (key or b""))
        self.salt = _sha(b"stored\0" + self._secret.encode())  # names the secret in the file, never reveals it
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.enabled = key is not None
        if not self.enabled:
            return
        try:
            stored = json.loads(self.file.read_text(encoding="utf-8"))
            if stored.get("salt") == self.salt:
                self.entries = stored["entries"]
        except (OSError, ValueError, KeyError, AttributeError):
            pass  # no cache, or an unreadable one: compile everything

    def _key(self, display: str, raw: bytes) -> str:
        return _sha(self._secret.encode() + b"\0" + display.encode("utf-8", "surrogateescape") + b"\0" + raw)

    def restore(
        self, display: str, path: Path, defaults: list[Path], positions: Callable[[], dict[Any, NodeInfo]]
    ) -> tuple[Document, list[Diagnostic]] | None:
        """The validated document and its warnings, when the spec, the ``defaults`` files that
        apply to it now and the files it embeds are all unchanged. ``positions`` loads the
        document's source positions again, if a diagnostic ever needs them."""
        entry = self.entries.get(display)
        try:
            if entry is None or entry["key"] != self._key(display, path.read_bytes()):
                return None
            if entry["inputs"] != [str(p) for p in defaults]:
                return None
            if any(_file_sha(Path(ref)) != sha for ref, sha in entry["refs"].items()):
                return None
        except OSError:
            return None
        base = Path(entry["base_dir"]) if entry["base_dir"] is not None else None
        inputs = tuple(Path(p) for p in entry["inputs"])
        data = json.loads(entry["data"]) if isinstance(entry["data"], _Encoded) else entry["data"]
        doc = Document(display, data, _LazyNodes(positions), base, inputs)
        return doc, [Diagnostic(**d) for d in entry["diagnostics"]]

    def output_if_current(self, display: str, context: str, target: Path) -> str | None:
        """The output's text, when it was produced in the same context and is untouched since."""
        entry = self.entries.get(display)
        if entry is None or entry.get("context") != context or entry.get("target") != target.as_posix():
            return None
        from dagfactory.load.files import read_regular

        try:
            raw = read_regular(target, limit=1 << 40)  # a FIFO or link put there: not ours, never blocks
        except OSError:
            return None
        return raw.decode("utf-8") if raw is not None and _sha(raw) == entry["output"] else None

    def remember(
        self,
        doc: Document,
        path: Path,
        diagnostics: list[Diagnostic],
        refs: list[Path],
        context: str,
        target: Path,
        text: str,
    ) -> None:
        self.entries[doc.path] = {
            "key": self._key(doc.path, path.read_bytes()),
            "refs": {str(ref): _file_sha(ref) for ref in refs},
            "base_dir": str(doc.base_dir) if doc.base_dir is not None else None,
            "inputs": [str(p) for p in doc.inputs],
            "data": _Encoded(json.dumps(doc.data)),  # as text: a fifth of the memory of the objects
            "diagnostics": [d.to_json() for d in diagnostics],
            "context": context,
            "target": target.as_posix(),
            "output": _sha(text.encode("utf-8")),
        }
        self.dirty = True

    def save(self) -> None:
        """Write atomically; a cache that cannot be written is simply not kept."""
        if not self.dirty or not self.enabled:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            (self.file.parent / ".gitignore").write_text("*\n")
            fd, temp = tempfile.mkstemp(prefix=".compile.", dir=self.file.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f'{{"salt": {json.dumps(self.salt)}, "entries": {{')
                for index, (name, entry) in enumerate(self.entries.items()):
                    handle.write(f"{', ' if index else ''}{json.dumps(name)}: {_entry_json(entry)}")
                handle.write("}}")
            os.replace(temp, self.file)
            for old in self.file.parent.glob("compile-v*.json"):  # an earlier compiler's format
                if old.name != CACHE_FILE:
                    old.unlink()
        except OSError:
            pass


class _Encoded(str):
    """A value already written as JSON (a remembered spec's data), written into the file as is."""


def _entry_json(entry: dict[str, Any]) -> str:
    """``json.dumps(entry)``, with a value already encoded written as it is."""
    encoded = {key: value for key, value in entry.items() if isinstance(value, _Encoded)}
    if not encoded:
        return json.dumps(entry)
    rest = json.dumps({key: value for key, value in entry.items() if key not in encoded})
    parts = [f"{json.dumps(key)}: {value}" for key, value in encoded.items()]
    return "{" + ", ".join(parts) + (", " + rest[1:] if rest != "{}" else "}")


def _file_sha(path: Path) -> str | None:
    """What a referenced file is now: where its links lead and its bytes, read as the compiler reads
    it (never blocking on a FIFO, at most the size limit). None: not a file the compiler may use,
    so an entry that refers to it is never restored and the full check reports why."""
    from dagfactory.load.files import read_file

    real = Path(os.path.realpath(path))
    try:
        raw = read_file(real)
    except OSError:
        return None
    return _sha(str(real).encode("utf-8", "surrogateescape") + b"\0" + raw)
