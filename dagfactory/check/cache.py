"""The incremental cache: skip parsing and checking unchanged specs (``validate`` and ``compile``).

A spec is "unchanged" when its bytes, the shared defaults that apply to it, the files it
embeds (``.sql``), the compiler itself (every source file and template of this package)
and the settings that shape its checks (:func:`cache_settings`) are all byte-identical to
the last run that checked it. Its own diagnostics and its data are then restored, not
recomputed; the rules across specs (unique dag_ids, pools, lineage, module names) always
run afresh, since other specs may have changed. Only a spec without an error of its own is
kept (an error may depend on a file that does not exist yet). ``compile`` adds the output
part (:mod:`dagfactory.emit.cache`): whether a spec's DAG file is still what it wrote.
Anything else is checked afresh, so the cache can make a run faster but never different.
It lives in ``.dagfactory_cache/`` beside the project configuration (or in the working
directory), and is safe to delete at any time.

Its entries are keyed with a random per-user key kept outside every project
(:func:`machine_key`): a cache file that came from anywhere else (committed to the
repository, restored by CI, edited to vouch for a hand-made DAG) never matches, so
it can never decide what a compile writes or what validate reports. ``compile --check``
does not read it at all.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagfactory.check.project import Restored
from dagfactory.diagnostics import Diagnostic, has_errors
from dagfactory.load.config import Config
from dagfactory.load.document import Document, NodeInfo, Source
from dagfactory.load.files import stamp, unchanged_since
from dagfactory.load.references import referenced_files

if TYPE_CHECKING:
    from dagfactory.check.project import SpecResult

CACHE_DIR = ".dagfactory_cache"
# v6: each entry keeps the spec's summary (dagfactory.check.summary) and stamp; the data on a line of its own
CACHE_FILE = "specs-v6.json"
OLD_FILES = ("compile-v*.json", "specs-v*.json")  # an earlier compiler's formats, removed on save
# Settings that change no spec's own findings nor its output's text: the findings are promoted to
# errors after the cache (warnings_as_errors), the output's place is checked on its own (out).
NOT_CHECK_SETTINGS = ("out", "warnings_as_errors")
KEY_FILE = "cache-key"  # in the user's cache folder (XDG_CACHE_HOME or ~/.cache), under dagfactory/


def sha_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """A hash of this package's code and templates: a new compiler invalidates everything."""
    package = Path(__file__).resolve().parent.parent  # dagfactory/, not just emit/
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".jinja") and p.is_file()):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_settings(config: Config) -> str:
    """What a cached entry depends on in ``config``: every setting but :data:`NOT_CHECK_SETTINGS`
    (a setting added later counts, unless it is named there)."""
    blank = {name: getattr(Config(), name) for name in NOT_CHECK_SETTINGS}
    return repr(dataclasses.replace(config, **blank))


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


class SpecCache:
    """Each spec's own findings and data, as the last run that checked it left them.

    The file holds two lines of JSON: every spec's data as text, then the entries (what restoring
    a spec needs, its summary, the hash of its bytes and their :func:`~dagfactory.load.files.stamp`)
    with the hash of the first line. A run decodes the first line only if it renders a restored
    spec again, and writes it back as it found it unless a spec's data changed. A spec whose
    stamp is unchanged is not read at all; one that is read, and found unchanged once its stamp
    has settled, gets its stamp kept.
    """

    def __init__(self, folder: Path, settings: str):
        self.file = folder / CACHE_DIR / CACHE_FILE
        key = machine_key()
        self._secret = sha_hex(f"{compiler_fingerprint()}\0{settings}\0".encode() + (key or b""))
        self.salt = sha_hex(b"stored\0" + self._secret.encode())  # names the secret in the file, never reveals it
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        # every entry's data (JSON text) as the file holds it, and its hash; decoded into ``_data``
        # once a spec's data is read or changed (then it is written afresh)
        self._data_line: bytes | memoryview = b"{}"
        self._data_sha = sha_hex(b"{}")
        self._data: dict[str, str] | None = None
        self._paths: dict[str, Path] = {}
        self._shas: dict[Path, str | None] = {}  # a file shared by many specs (_defaults.yaml) is read once
        self.enabled = key is not None
        if not self.enabled:
            return
        try:
            raw = self.file.read_bytes()
            cut = raw.rindex(b"\n")
            stored = json.loads(raw[cut + 1 :])
            data_line = memoryview(raw)[:cut]
            if stored.get("salt") == self.salt and stored.get("data") == hashlib.sha256(data_line).hexdigest():
                self.entries, self._data_line, self._data_sha = stored["entries"], data_line, stored["data"]
        except (OSError, ValueError, KeyError, AttributeError):
            pass  # no cache, or an unreadable one: compile everything

    def _key(self, display: str, digest: str) -> str:
        """The entry key of a spec named ``display`` whose bytes hash to ``digest`` (SHA-256)."""
        return sha_hex(
            f"{self._secret}\0".encode() + display.encode("utf-8", "surrogateescape") + f"\0{digest}".encode()
        )

    def _datas(self) -> dict[str, str]:
        if self._data is None:
            self._data = json.loads(bytes(self._data_line))
            self._data_line = b""
        return self._data

    def data(self, display: str) -> Any:
        """The data of a restored spec (decoded now: only a spec rendered again needs it)."""
        return json.loads(self._datas()[display])

    def restore(
        self,
        display: str,
        path: Path,
        defaults: list[Path],
        positions: Callable[[], dict[Any, NodeInfo]],
        *,
        slim: bool = False,
    ) -> Restored | None:
        """The validated document and its warnings, when the spec, the ``defaults`` files that
        apply to it now and the files it embeds are all unchanged. ``positions`` loads the
        document's source positions again, if a diagnostic ever needs them. ``slim``: the
        document holds the spec's cross-spec summary only, its data is decoded only if needed
        (a large no-op run never decodes, nor walks, what it does not render)."""
        entry = self.entries.get(display)
        try:
            if entry is None or not self._unchanged(entry, display, path):
                return None
            if entry["inputs"] != [str(p) for p in defaults]:
                return None
            if any(self._file_sha(Path(ref)) != sha for ref, sha in entry["refs"].items()):
                return None
        except OSError:
            return None
        base = self._path(entry["base_dir"]) if entry["base_dir"] is not None else None
        inputs = tuple(self._path(p) for p in entry["inputs"])
        found = [Diagnostic(**d) for d in entry["diagnostics"]]
        if slim:
            doc = Document(display, entry["cross"], _LazyNodes(positions), base, inputs)
            return Restored(
                doc, found, frozenset(entry["imports"]), entry["part"], functools.partial(self.data, display)
            )
        return Restored(Document(display, self.data(display), _LazyNodes(positions), base, inputs), found)

    def _unchanged(self, entry: dict[str, Any], display: str, path: Path) -> bool:
        """Whether the spec's bytes are those the entry was made from: its stamp says so, else
        reading them does (and then their stamp is kept, once settled)."""
        if unchanged_since(entry.get("stamp"), path, follow=True):
            return True
        raw, status = _read_stat(path)
        if entry["key"] != self._key(display, sha_hex(raw)):
            return False
        self._settle(entry, "stamp", status)
        return True

    def _settle(self, entry: dict[str, Any], field: str, status: os.stat_result) -> None:
        """Keep the stamp of a file just read and found unchanged, in ``entry[field]``, once it has
        settled (see :func:`~dagfactory.load.files.stamp`)."""
        settled = stamp(status, time.time_ns())
        if settled is not None and entry.get(field) != list(settled):
            entry[field] = list(settled)
            self.dirty = True

    def _path(self, name: str) -> Path:
        """One :class:`Path` per folder or defaults file named: ten thousand specs share a few."""
        found = self._paths.get(name)
        if found is None:
            found = self._paths[name] = Path(name)
        return found

    def _file_sha(self, path: Path) -> str | None:
        if path not in self._shas:
            self._shas[path] = _file_sha(path)
        return self._shas[path]

    def remember(
        self,
        doc: Document,
        path: Path,
        diagnostics: list[Diagnostic],
        refs: list[Path],
        source: Source | None = None,
        summary: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keep what restoring ``doc`` needs: the key of the bytes it was checked in (``source``;
        else the file's bytes now) and their stamp, the files it was made of, its data, its own
        ``diagnostics`` and its summary (made from ``doc`` unless given); return the entry. The
        bytes checked, not the file now: a spec edited while the run went on is checked again
        next time."""
        from dagfactory.check.summary import summary_fields

        if source is None:
            read_ns = time.time_ns()
            raw, status = _read_stat(path)
            source = Source(sha_hex(raw), status, read_ns)
        entry = {
            "key": self._key(doc.path, source.digest),
            "stamp": stamp(source.status, source.read_ns),
            "refs": {str(ref): self._file_sha(ref) for ref in refs},
            "base_dir": str(doc.base_dir) if doc.base_dir is not None else None,
            "inputs": [str(p) for p in doc.inputs],
            "diagnostics": [d.to_json() for d in diagnostics],
            **(summary or summary_fields(doc)),
        }
        self.entries[doc.path] = entry
        self._datas()[doc.path] = json.dumps(doc.data)  # as text: a fifth of the memory of the objects
        self.dirty = True
        return entry

    def forget(self, display: str) -> None:
        if self.entries.pop(display, None) is not None:
            self._datas().pop(display, None)
            self.dirty = True

    def keep_only(self, displays: set[str]) -> None:
        """Forget the specs not in ``displays`` (deleted or renamed: a run over the whole specs
        folder knows them all), so the cache does not grow with the repository's history."""
        for display in [display for display in self.entries if display not in displays]:
            self.forget(display)

    def remember_checked(self, results: Iterable[SpecResult]) -> None:
        """Keep what was found in each spec checked afresh (``validate``: nothing is rendered), when
        the spec has no error of its own; then save."""
        for result in results:
            if result.restored or result.spec.escapes or has_errors(result.own):
                continue
            doc = result.whole_document()
            if doc is None:
                continue
            try:
                refs = referenced_files(doc)
                self.remember(doc, result.spec.path, result.own, refs, result.source, result.summary())
            except OSError:  # gone since it was read: not kept
                self.forget(doc.path)
        self.save()

    def save(self) -> None:
        """Write atomically; a cache that cannot be written is simply not kept."""
        if not self.dirty or not self.enabled:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            (self.file.parent / ".gitignore").write_text("*\n")
            fd, temp = tempfile.mkstemp(prefix=".specs.", dir=self.file.parent)
            with os.fdopen(fd, "wb") as handle:
                if self._data is None:  # as read
                    handle.write(self._data_line)
                else:  # made again, of the entries' data only, a spec at a time
                    digest = hashlib.sha256()
                    for index, name in enumerate(self.entries):
                        piece = f"{', ' if index else '{'}{json.dumps(name)}: {json.dumps(self._data[name])}".encode()
                        digest.update(piece)
                        handle.write(piece)
                    closing = b"}" if self.entries else b"{}"
                    digest.update(closing)
                    handle.write(closing)
                    self._data_sha = digest.hexdigest()
                head = {"salt": self.salt, "data": self._data_sha, "entries": self.entries}
                handle.write(b"\n" + json.dumps(head).encode())
            os.replace(temp, self.file)
            self.dirty = False
            for pattern in OLD_FILES:
                for old in self.file.parent.glob(pattern):
                    if old.name != CACHE_FILE:
                        old.unlink()
        except OSError:
            pass


def _read_stat(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path`` and the status of the file they were read from."""
    with open(path, "rb") as handle:
        return handle.read(), os.fstat(handle.fileno())


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
    return sha_hex(str(real).encode("utf-8", "surrogateescape") + b"\0" + raw)
