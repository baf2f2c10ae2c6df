"""Stage 2, check: documents in, diagnostics out.

Takes the spec files of a project (:mod:`dagfactory.load` reads them) and gives every problem
in them, each at its file:line:col, from one entry, :func:`check_project`: the JSON Schema
(:mod:`.schema`, with the fast path of :mod:`.quickcheck`), values and semantics
(:mod:`.semantics`, :mod:`.cron`, :mod:`.moments`), the task graph (:mod:`.graph`), lineage
(:mod:`.lineage`), secrets (:mod:`.secrets`), pools (:mod:`.pools`), output names
(:mod:`.shadowing`), project policy (:mod:`.policy`) and the Airflow target
(:mod:`dagfactory.targets`). Never imports Jinja2 or Airflow.
"""

from dagfactory.check.project import CheckedProject, SpecResult, check_project

__all__ = ["CheckedProject", "SpecResult", "check_project"]
