"""Checks a project switches on in its configuration (``require_business_owner_email``,
``require_lineage``, ``warnings_as_errors``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from dagfactory.check.lineage import asset_mentions
from dagfactory.diagnostics import Diagnostic
from dagfactory.load.config import Config, display_name
from dagfactory.load.document import Document


def policy_diagnostics(doc: Document, config: Config) -> list[Diagnostic]:
    """Problems the project's policy switches add to one spec (the schema has checked its shape)."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    where = f" (required by {display_name(config.source)})" if config.source else ""
    out: list[Diagnostic] = []
    owner = data.get("business_owner")
    if config.require_business_owner_email and isinstance(owner, dict) and "email" not in owner:
        out.append(
            doc.diagnostic(
                ("business_owner",),
                "DF102",
                f"business_owner has no email{where}",
                key=True,
                hint="add `email:` under business_owner",
            )
        )
    if config.require_lineage and not _has_lineage(data):
        path = ("lineage",) if "lineage" in data else ()
        out.append(
            doc.diagnostic(
                path,
                "DF102",
                f"the pipeline declares no lineage{where}",
                key=True,
                hint="add `lineage:` with the `inputs:` it reads and the `outputs:` it writes",
            )
        )
    return out


def _has_lineage(data: dict[str, Any]) -> bool:
    """Inputs or outputs declared at the DAG level or on any task (both become Assets)."""
    return any(role != "trigger" for role, _, _ in asset_mentions(data))


def promote_warnings(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """For ``warnings_as_errors``: every warning becomes an error."""
    return [dataclasses.replace(d, severity="error") if not d.is_error else d for d in diagnostics]
