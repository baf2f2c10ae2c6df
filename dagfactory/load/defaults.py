"""Shared defaults: a ``_defaults.yaml`` in a specs folder applies to every spec in it and below.

The rules, all of them:

* Every ``_defaults.yaml`` from the specs folder down to the spec's own folder
  applies; the nearest one wins over those further up, and the spec wins over all.
* Mappings merge key by key (``default_args``, ``business_owner``, ``macros``,
  ``params``, ``lineage`` ...); any other value (a string, a number, a list such as
  ``tags``) is replaced whole by the nearer file.
* ``dag_id``, ``tasks`` and ``edges`` belong to one pipeline and are refused in a
  defaults file.
* A problem in a value that came from a defaults file is reported at that file's line.
* A defaults file is read like a ``.sql`` file (:mod:`dagfactory.load.files`): a symlink out of the
  specs folder (and ``include_roots``), a FIFO, a device or a file over the size limit is an
  error (DF208), never silently skipped.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.load.discover import SpecFile
from dagfactory.load.document import Document, JsonPath, NodeInfo, load_bytes
from dagfactory.load.files import FileScope, read_reference

DEFAULTS_NAME = "_defaults.yaml"
NOT_SHAREABLE = ("dag_id", "tasks", "edges")


def defaults_files(spec: Path, specs_root: Path) -> list[Path]:
    """The defaults files that apply to ``spec``, furthest first: every entry of that name, whatever
    it is (a link, a FIFO, a folder), since reading it is what decides whether it may be used."""
    try:
        relative = spec.resolve().parent.relative_to(specs_root.resolve())
    except ValueError:
        return []  # a spec named from outside the specs folder shares nothing
    folders = [specs_root.resolve()]
    for part in relative.parts:
        folders.append(folders[-1] / part)
    return [folder / DEFAULTS_NAME for folder in folders if os.path.lexists(folder / DEFAULTS_NAME)]


def load_defaults(path: Path, display: str, roots: tuple[Path, ...]) -> tuple[Document | None, list[Diagnostic]]:
    """Load the defaults file ``path``, which must stay inside ``roots`` (see :mod:`dagfactory.load.files`)."""
    try:
        raw = read_reference(FileScope(path.parent, roots), path.name)
    except ValueError as exc:
        hint = "make it a regular file inside the specs folder (or a folder of `include_roots`)"
        return None, [Diagnostic(display, 1, 1, "DF208", str(exc), hint=hint)]
    doc, problems = load_bytes(raw, display)
    if doc is None:
        return None, problems
    doc.base_dir = path.parent
    if not isinstance(doc.data, dict):
        hint = "write spec keys shared by the folder's specs, e.g. `owner: data-eng`"
        diagnostic = doc.diagnostic((), "DF103", f"{DEFAULTS_NAME} must be a mapping of spec keys", hint=hint)
        return None, [*problems, diagnostic]
    for key in NOT_SHAREABLE:
        if key in doc.data:
            problems.append(
                doc.diagnostic(
                    (key,),
                    "DF101",
                    f"`{key}` cannot be shared in {DEFAULTS_NAME}",
                    key=True,
                    hint="it belongs to one pipeline: move it into the spec",
                )
            )
            del doc.data[key]
    return doc, problems


def apply_defaults(spec: Document, layers: list[Document]) -> Document:
    """``spec`` with ``layers`` (furthest first) merged under it, positions kept per file."""
    if not layers or not isinstance(spec.data, dict):
        return spec
    tagged = [Document(d.path, d.data, {p: replace(i, source=d.path) for p, i in d.nodes.items()}) for d in layers]
    data, nodes = _merge((), [(doc, doc.data) for doc in [*tagged, spec]])
    files = tuple(d.base_dir / DEFAULTS_NAME if d.base_dir is not None else Path(d.path) for d in layers)
    return Document(spec.path, data, nodes, spec.base_dir, files, spec.file_roots)


def _merge(path: JsonPath, present: list[tuple[Document, Any]]) -> tuple[Any, dict[JsonPath, NodeInfo]]:
    """Merge the values at ``path`` of the documents that have one (lowest priority first)."""
    top_doc, top_value = present[-1]
    hidden_below = max((i for i, (_, value) in enumerate(present) if not isinstance(value, dict)), default=-1)
    layers = present[hidden_below + 1 :]  # the mappings above the last non-mapping value
    if not isinstance(top_value, dict) or len(layers) < 2:
        size = len(path)
        return top_value, {p: info for p, info in top_doc.nodes.items() if p[:size] == path}
    nodes = {path: top_doc.nodes[path]} if path in top_doc.nodes else {}
    merged: dict[str, Any] = {}
    for key in dict.fromkeys(k for _, value in layers for k in value):
        merged[key], below = _merge((*path, key), [(doc, value[key]) for doc, value in layers if key in value])
        nodes.update(below)
    return merged, nodes


class SharedDefaults:
    """The ``_defaults.yaml`` files of one run: which apply to a folder, and their loaded
    content, each looked up and read once however many specs share them."""

    def __init__(self, specs_root: Path, include_roots: tuple[Path, ...] = ()) -> None:
        self.specs_root = specs_root
        self.roots = (specs_root, *include_roots)  # where a _defaults.yaml may lead, like a .sql file
        self._files: dict[Path, list[Path]] = {}
        self._loaded: dict[Path, tuple[Document | None, list[Diagnostic]]] = {}

    def files(self, spec: Path, linked: bool | None = None) -> list[Path]:
        """The defaults files that apply to ``spec`` (a symlink if ``linked``; None: ask), furthest first."""
        linked = spec.is_symlink() if linked is None else linked
        key = spec if linked else spec.parent  # a linked spec shares its target's folder
        if key not in self._files:
            self._files[key] = defaults_files(spec, self.specs_root)
        return self._files[key]

    def apply(self, doc: Document, spec: SpecFile, problems: list[Diagnostic]) -> Document:
        """``doc`` with the defaults of its folders merged under it; their problems go to ``problems``."""
        layers = []
        for path in self.files(spec.path, spec.linked):
            if path not in self._loaded:
                shown = os.path.normpath(
                    os.path.join(os.path.dirname(spec.display), os.path.relpath(path, spec.path.parent))
                )
                self._loaded[path] = load_defaults(path, Path(shown).as_posix(), self.roots)
            layer, layer_problems = self._loaded[path]
            problems.extend(layer_problems)
            if layer is not None:
                layers.append(layer)
        return apply_defaults(doc, layers)
