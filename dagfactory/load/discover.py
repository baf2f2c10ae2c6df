"""Which files are specs, and how each is named: its place under the specs folder (mirrored
in the output folder), how diagnostics name it, and the folders its file references must stay in."""

from __future__ import annotations

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

    @property
    def output_relative(self) -> PurePosixPath:
        return self.relative.with_suffix(".py")


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
    found: dict[Path, SpecFile] = {}
    folders: dict[Path, Path] = {}  # each folder resolved once: a thousand specs share a few folders
    for path in paths:
        candidates = [path] if path.is_file() else _files_under(path)
        for candidate in candidates:
            if not _is_spec_name(candidate.name):
                continue
            resolved = _resolve(candidate, folders)
            if resolved not in found:
                found[resolved] = _spec_file(candidate, resolved, roots)
    return sorted(found.values(), key=lambda s: s.relative.as_posix())


def _is_spec_name(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES) and not name.startswith(("_", "."))


def _files_under(folder: Path) -> list[Path]:
    """The spec files in ``folder`` and below, sorted: hidden folders and links to folders are
    not entered (as ``Path.rglob`` does); a folder that cannot be read is skipped."""
    found: list[Path] = []
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
                    stack.append(current / entry.name)
            elif _is_spec_name(entry.name) and _is_file(entry):
                found.append(current / entry.name)
    return sorted(found)


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A file, or a link to one; a link that leads nowhere (dangling, a loop) is skipped, not a crash."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _resolve(file: Path, folders: dict[Path, Path]) -> Path:
    """``file.resolve()``, resolving its folder only once per ``folders`` memo."""
    if file.is_symlink():
        return file.resolve()
    folder = folders.get(file.parent)
    if folder is None:
        folder = folders[file.parent] = file.parent.resolve()
    return folder / file.name


@dataclass(frozen=True)
class _Roots:
    specs_named: str  # the specs folder as named (absolute, links not followed)
    specs: str  # ... and with links followed
    project: str
    cwd: str
    given: Path  # the specs folder as the user named it, for messages


def _spec_file(path: Path, resolved: Path, roots: _Roots) -> SpecFile:
    # Path.relative_to costs more than the rest of a cached compile: compare the strings of
    # these absolute, normalised paths instead (one is inside the other iff it starts with it).
    inside = _inside(str(resolved), roots.specs)
    relative = PurePosixPath(inside.replace(os.sep, "/") if inside else path.name)
    display = _inside(str(resolved), roots.project)
    # in the specs folder as named, outside it once symlinks are followed: never read
    named = str(path) if path.is_absolute() else os.path.join(roots.cwd, str(path))
    escapes = bool(_inside(named, roots.specs_named)) and not inside
    shown = display.replace(os.sep, "/") if display else path.as_posix()
    return SpecFile(path, shown, relative, escapes, roots.given if inside else None)


def _inside(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` when it is inside it (both absolute and normalised)."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    return path[len(prefix) :] or None if path.startswith(prefix) else None


def file_roots(spec: SpecFile, config: Config) -> tuple[Path, ...]:
    """The folders the files a spec refers to must stay in: the specs folder it was found in (a spec
    named from outside it: its own folder) and the project's ``include_roots``."""
    return (spec.specs_root or spec.path.parent, *config.include_roots)
