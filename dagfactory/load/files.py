"""Files a spec refers to (``.sql`` files, ``_defaults.yaml``): where they may be, and reading them.

One rule, one function (:func:`resolve_reference`), used by ``validate``, by the model that
embeds the text and by the incremental-compile cache, so the three can never disagree. A
reference is accepted when:

* the name is relative (an absolute path is refused) and resolves from the spec's folder;
* once every symlink is followed, the file is inside one of the allowed roots: the specs
  folder, or a folder the project configuration names in ``include_roots`` (``..`` that stays
  inside is fine);
* it is a regular file: never a FIFO (opening one could hang the compiler), a device, a folder;
* it holds at most :data:`MAX_FILE_BYTES`, counted by reading (``/proc`` files report size 0).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagfactory.load.document import MAX_FILE_BYTES, Document


@dataclass(frozen=True)
class FileScope:
    """Where a spec's file references resolve (``base``) and the folders they must stay in."""

    base: Path
    roots: tuple[Path, ...]
    # each verdict of :func:`resolve_reference` in this scope (a Reference or the refusal's message)
    found: dict[tuple[Any, ...], Reference | str] = field(default_factory=dict, compare=False, repr=False)


def scope_of(doc: Document) -> FileScope:
    """The document's scope; a document that names no roots may read only its own folder.
    Its verdicts are kept on the document: one read of each file per compile."""
    base = doc.base_dir if doc.base_dir is not None else Path(doc.path).parent
    return FileScope(base, doc.file_roots or (base,), doc.references)


@dataclass(frozen=True)
class Reference:
    named: Path  # as written, joined to the spec's folder: what the cache watches for changes
    data: bytes  # its bytes (at most the limit)


def resolve_reference(scope: FileScope, name: str, limit: int = MAX_FILE_BYTES) -> Reference:
    """The file ``name`` refers to, read, if a spec may use it; ValueError saying why not otherwise.

    The one decision for validate, the model and the cache: containment, kind and size together,
    made once per scope (see :func:`scope_of`) and name.
    """
    key = (scope.base, scope.roots, name, limit)  # the document's roots may be set after a first look
    if key not in scope.found:
        try:
            scope.found[key] = _resolve(scope, name, limit)
        except ValueError as exc:
            scope.found[key] = str(exc)
    verdict = scope.found[key]
    if isinstance(verdict, str):
        raise ValueError(verdict)
    return verdict


def _resolve(scope: FileScope, name: str, limit: int) -> Reference:
    written = name.strip()
    if "\0" in written:
        raise ValueError(f"{name!r} contains a NUL character")
    if os.path.isabs(written):
        raise ValueError(f"{name!r} is an absolute path; file references are relative to the spec's folder")
    named = scope.base / written
    real = Path(os.path.realpath(named))  # follows links as the OS does, `..` after a link included
    if not any(real.is_relative_to(os.path.realpath(root)) for root in scope.roots):
        shown = ", ".join(root.as_posix() for root in scope.roots)
        raise ValueError(f"{name!r} resolves to {real.as_posix()}, outside {shown}")
    try:
        found = os.stat(named)  # what the OS opens for the name: `file/..` is an error to it, not to realpath
        same = os.path.samestat(found, os.stat(real))
        raw = read_regular(real, limit) if same and stat.S_ISREG(found.st_mode) else None
    except FileNotFoundError:
        raise ValueError(f"file {name!r} not found (looked for {named.as_posix()})") from None
    except OSError as exc:
        raise ValueError(f"file {name!r} cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(found.st_mode):
        raise ValueError(f"{name!r} is {_kind(found.st_mode)}, not a regular file")
    if raw is None:
        raise ValueError(f"{name!r} changed while it was read; try again")
    if len(raw) > limit:
        raise ValueError(f"{name!r} is larger than {limit:,} bytes")
    return Reference(named, raw)


def read_reference(scope: FileScope, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the file ``name`` refers to; ValueError when it may not be used."""
    return resolve_reference(scope, name, limit).data


def read_file(path: Path) -> bytes:
    """The bytes of the regular file ``path`` leads to (links followed), at most the size limit;
    OSError saying why not. For files the project names itself: configuration, the cache's inputs."""
    raw = read_regular(Path(os.path.realpath(path)))
    if raw is None:
        raise OSError(f"{path.as_posix()} is not a regular file")
    if len(raw) > MAX_FILE_BYTES:
        raise OSError(f"{path.as_posix()} is larger than {MAX_FILE_BYTES:,} bytes")
    return raw


def read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """At most ``limit + 1`` bytes of the regular file ``path`` (more than ``limit``: too big), or
    None when it is not one (a link is not followed). Never blocks on a FIFO; OSError if unreadable."""
    found = read_regular_stat(path, limit)
    return found[0] if found is not None else None


def read_regular_stat(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes, os.stat_result] | None:
    """:func:`read_regular`, with the status of the file it read (from the open file itself)."""
    before = os.lstat(path)
    if not stat.S_ISREG(before.st_mode):
        return None
    # O_NONBLOCK: should a FIFO be swapped in after the lstat, open returns at once (fstat refuses it)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            return None
        chunks: list[bytes] = []
        left = limit + 1  # one byte more than allowed tells "too big" without trusting st_size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), opened


# A file changed this close to the moment its status was read may change again within the
# same tick of its file system's clock, keeping its stamp: such a file gets no stamp (it is read
# again next time). Most file systems keep nanoseconds; one whose times are whole seconds (or
# whose clock happened to sit on a whole second) is given a wide margin.
RACY_FINE_NS = 100_000_000
RACY_COARSE_NS = 2_000_000_000


def stamp(status: os.stat_result, now_ns: int) -> tuple[int, ...] | None:
    """Which file ``status`` describes and when it last changed (device, inode, size, mtime,
    ctime), as git's index keeps it: any write moves ctime on, and no tool sets it back. None
    when it changed too close to ``now_ns``, the moment ``status`` was taken (a :func:`time.time_ns`
    just before it; just after, when the status is used at once), to tell."""
    changed = max(status.st_ctime_ns, status.st_mtime_ns)
    coarse = status.st_ctime_ns % 1_000_000_000 == 0 or status.st_mtime_ns % 1_000_000_000 == 0
    if changed >= now_ns - (RACY_COARSE_NS if coarse else RACY_FINE_NS):
        return None
    return _stamp_fields(status)


def _stamp_fields(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def unchanged_since(kept: Sequence[int] | None, path: Path, *, follow: bool) -> bool:
    """Whether the regular file at ``path`` still has the stamp ``kept`` (None: none was kept)."""
    return kept is not None and stamp_now(path, follow=follow) == tuple(kept)


def stamp_now(path: Path, *, follow: bool) -> tuple[int, ...] | None:
    """The stamp of the regular file at ``path`` now, racy or not (to compare with one kept
    earlier); None when there is none (or not a regular file)."""
    try:
        status = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return _stamp_fields(status) if stat.S_ISREG(status.st_mode) else None


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((word for test, word in kinds if test(mode)), "a special file")
