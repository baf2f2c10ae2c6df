"""The output part of the incremental cache (:mod:`dagfactory.check.cache` holds the rest).

A spec whose own findings the cache restored keeps its DAG file as is when the cross-spec
context its docs depend on (which pipelines produce and consume which assets) is the same
*and* its output file still holds exactly what was written; else it is rendered afresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagfactory.check.cache import CACHE_DIR, CACHE_FILE, SpecCache, cache_settings, compiler_fingerprint, sha_hex
from dagfactory.diagnostics import Diagnostic
from dagfactory.emit.writer import Current
from dagfactory.load.document import Document, Source
from dagfactory.load.files import read_regular_stat, unchanged_since

__all__ = ["CACHE_DIR", "CACHE_FILE", "CompileCache", "cache_settings", "compiler_fingerprint", "context_fingerprint"]


def context_fingerprint(documents: list[Document], parts: list[str | None] | None = None) -> str:
    """What a spec's generated docs may say about *other* specs: every spec's dag_id and lineage
    (its :func:`~dagfactory.check.lineage.context_part`, or the one given in ``parts``)."""
    from dagfactory.check.lineage import context_part

    given = parts or [None] * len(documents)
    text = " ".join(part if part is not None else context_part(doc) for doc, part in zip(documents, given, strict=True))
    return sha_hex(text.encode())


class CompileCache(SpecCache):
    """A :class:`~dagfactory.check.cache.SpecCache` whose entries also vouch for an output file:
    the hash of the bytes written and, once settled, their stamp (then the file is not read)."""

    def output_if_current(self, display: str, context: str, target: Path) -> str | None:
        """The output's text, when it was produced in the same context and is untouched since."""
        raw = self._current_output(display, context, target, read=True)
        return raw.decode("utf-8") if isinstance(raw, bytes) else None

    def current_output(self, display: str, context: str, target: Path) -> Current | None:
        """What a large compile keeps of an output it need not write (as :meth:`output_if_current`
        finds it): the hash of its bytes and their stamp, instead of its text."""
        found = self._current_output(display, context, target, read=False)
        if found is None:
            return None
        entry = self.entries[display]
        return Current(entry["output"], tuple(entry["output_stamp"]) if entry.get("output_stamp") else None)

    def _current_output(self, display: str, context: str, target: Path, *, read: bool) -> bytes | bool | None:
        """The output's bytes (True: unread, its stamp vouches for them) when current, else None."""
        entry = self.entries.get(display)
        if entry is None or entry.get("context") != context or entry.get("target") != target.as_posix():
            return None
        if not read and unchanged_since(entry.get("output_stamp"), target, follow=False):
            return True
        try:
            found = read_regular_stat(target, limit=1 << 40)  # a FIFO or link put there: not ours, never blocks
        except OSError:
            return None
        if found is None or sha_hex(found[0]) != entry["output"]:
            return None
        self._settle(entry, "output_stamp", found[1])
        return found[0]

    def remember_output(
        self,
        doc: Document,
        path: Path,
        diagnostics: list[Diagnostic],
        refs: list[Path],
        context: str,
        target: Path,
        text: str,
        source: Source | None = None,
        summary: dict[str, Any] | None = None,
    ) -> None:
        """Keep ``doc`` (see :meth:`remember`) and the output ``text`` it renders to in ``context``."""
        entry = self.remember(doc, path, diagnostics, refs, source, summary)
        entry.update(context=context, target=target.as_posix(), output=sha_hex(text.encode("utf-8")))

    def settle_outputs(self, written: dict[str, Path]) -> None:
        """After a compile wrote its files (spec display -> output): keep the stamps of those whose
        bytes are the ones remembered (a file written a moment ago is left to a later run)."""
        for display, target in written.items():
            entry = self.entries.get(display)
            if entry is not None and "output" in entry:  # settled already, or read and settled now
                self._current_output(display, entry["context"], target, read=False)
