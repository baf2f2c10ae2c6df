"""The output part of the incremental cache (:mod:`dagfactory.check.cache` holds the rest).

A spec whose own findings the cache restored keeps its DAG file as is when the cross-spec
context its docs depend on (which pipelines produce and consume which assets) is the same
*and* its output file still holds exactly what was written; else it is rendered afresh.
"""

from __future__ import annotations

from pathlib import Path

from dagfactory.check.cache import CACHE_DIR, CACHE_FILE, SpecCache, cache_settings, compiler_fingerprint, sha_hex
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import Document

__all__ = ["CACHE_DIR", "CACHE_FILE", "CompileCache", "cache_settings", "compiler_fingerprint", "context_fingerprint"]


def context_fingerprint(documents: list[Document], parts: list[str | None] | None = None) -> str:
    """What a spec's generated docs may say about *other* specs: every spec's dag_id and lineage
    (its :func:`~dagfactory.check.lineage.context_part`, or the one given in ``parts``)."""
    from dagfactory.check.lineage import context_part

    given = parts or [None] * len(documents)
    text = ", ".join(
        part if part is not None else context_part(doc) for doc, part in zip(documents, given, strict=True)
    )
    return sha_hex(f"[{text}]".encode())  # the JSON list of the parts, as json.dumps writes it


class CompileCache(SpecCache):
    """A :class:`~dagfactory.check.cache.SpecCache` whose entries also vouch for an output file."""

    def output_if_current(self, display: str, context: str, target: Path) -> str | None:
        """The output's text, when it was produced in the same context and is untouched since."""
        raw = self._current_output(display, context, target)
        return raw.decode("utf-8") if raw is not None else None

    def current_output_sha(self, display: str, context: str, target: Path) -> str | None:
        """The hash of the output's bytes, when it is current (as :meth:`output_if_current`): what a
        large compile keeps of an output it need not write, instead of its text."""
        return sha_hex(raw) if (raw := self._current_output(display, context, target)) is not None else None

    def _current_output(self, display: str, context: str, target: Path) -> bytes | None:
        entry = self.entries.get(display)
        if entry is None or entry.get("context") != context or entry.get("target") != target.as_posix():
            return None
        from dagfactory.load.files import read_regular

        try:
            raw = read_regular(target, limit=1 << 40)  # a FIFO or link put there: not ours, never blocks
        except OSError:
            return None
        return raw if raw is not None and sha_hex(raw) == entry["output"] else None

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
        entry = self.entry(doc, path, diagnostics, refs)
        entry.update(context=context, target=target.as_posix(), output=sha_hex(text.encode("utf-8")))
        self.entries[doc.path] = entry
        self.dirty = True
