"""Which files are specs, and how each is named: its place under the specs folder (mirrored
in the output folder), how diagnostics name it, and the folders its file references must stay in."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dagfactory.load.config import Config

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SpecFile:
    path: Path  # where to read it
    display: str  # how diagnostics and headers name it (posix, relative to the project when possible)
    relative: PurePosixPath  # its place under the specs folder, mirrored in the output folder
    escapes: bool = False  # in the specs folder only through a symlink to elsewhere: refused, never read
    # the specs folder it is in; None: named from outside it (the files it refers to stay in its own folder)
    specs_root: Path | None = None
    linked: bool | None = None  # a symlink (None: not known yet, ask the file system)

    @functools.cached_property
    def output_relative(self) -> PurePosixPath:
        return PurePosixPath(os.path.splitext(self.relative.as_posix())[0] + ".py")  # with_suffix, but cheaper


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover(paths: list[Path], specs_dir: Path, root: Path) -> list[SpecFile]:
    """Spec files under ``paths`` (files or folders), sorted, each once.

    Files whose name starts with ``_`` or ``.`` are not specs (``_defaults.yaml``).
    """
    roots = _Roots(str(specs_dir.absolute()), str(specs_dir.resolve()), str(root.resolve()), os.getcwd(), specs_dir)
    found: dict[str, SpecFile] = {}
    folders: dict[str, str] = {}  # each folder resolved once: a thousand specs share a few folders
    for path in paths:
        candidates = [(str(path), path.is_symlink())] if path.is_file() else _files_under(str(path))
        for candidate, linked in candidates:
            if not _is_spec_name(os.path.basename(candidate)):
                continue
            resolved = _resolve(candidate, linked, folders)
            if resolved not in found:
                found[resolved] = _spec_file(Path(candidate), resolved, linked, roots)
    return sorted(found.values(), key=lambda s: s.relative.as_posix())


def _is_spec_name(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES) and not name.startswith(("_", "."))


def _files_under(folder: str) -> list[tuple[str, bool]]:
    """The spec files in ``folder`` and below, sorted as paths, each with whether it is a symlink:
    hidden folders and links to folders are not entered (as ``Path.rglob`` does); a folder that
    cannot be read is skipped."""
    found: list[tuple[str, bool]] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:  # DirEntry answers from the listing: no stat per file
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    stack.append(os.path.join(current, entry.name))
            elif _is_spec_name(entry.name) and _is_file(entry):
                found.append((os.path.join(current, entry.name), entry.is_symlink()))
    return sorted(found, key=lambda item: item[0].split(os.sep))


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A file, or a link to one; a link that leads nowhere (dangling, a loop) is skipped, not a crash."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _resolve(file: str, linked: bool, folders: dict[str, str]) -> str:
    """``os.path.realpath(file)``, resolving its folder only once per ``folders`` memo."""
    if linked:
        return os.path.realpath(file)
    parent, name = os.path.split(file)
    folder = folders.get(parent)
    if folder is None:
        folder = folders[parent] = os.path.realpath(parent or ".")
    return os.path.join(folder, name)


@dataclass(frozen=True)
class _Roots:
    specs_named: str  # the specs folder as named (absolute, links not followed)
    specs: str  # ... and with links followed
    project: str
    cwd: str
    given: Path  # the specs folder as the user named it, for messages


def _spec_file(path: Path, resolved: str, linked: bool, roots: _Roots) -> SpecFile:
    # Path.relative_to costs more than the rest of a cached compile: compare the strings of
    # these absolute, normalised paths instead (one is inside the other iff it starts with it).
    inside = _inside(resolved, roots.specs)
    relative = PurePosixPath(inside.replace(os.sep, "/") if inside else path.name)
    display = _inside(resolved, roots.project)
    # in the specs folder as named, outside it once symlinks are followed: never read
    named = str(path) if path.is_absolute() else os.path.join(roots.cwd, str(path))
    escapes = bool(_inside(named, roots.specs_named)) and not inside
    shown = display.replace(os.sep, "/") if display else path.as_posix()
    return SpecFile(path, shown, relative, escapes, roots.given if inside else None, linked)


def _inside(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` when it is inside it (both absolute and normalised)."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    return path[len(prefix) :] or None if path.startswith(prefix) else None


def file_roots(spec: SpecFile, config: Config) -> tuple[Path, ...]:
    """The folders the files a spec refers to must stay in: the specs folder it was found in (a spec
    named from outside it: its own folder) and the project's ``include_roots``."""
    return (spec.specs_root or spec.path.parent, *config.include_roots)
