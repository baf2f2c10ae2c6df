"""Which provider distributions compiled pipelines need: ``dagfactory requirements``.

Catalog operators name their distribution; a class-path operator under
``airflow.providers.X`` maps to ``apache-airflow-providers-X``. Providers in a
namespace (``common.sql``, ``microsoft.azure``, ...) take two name parts.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagfactory.model import Pipeline

PROVIDER_PREFIX = "airflow.providers."
# Provider packages whose distribution name spans two module parts.
NAMESPACES = frozenset({"apache", "atlassian", "cncf", "common", "dbt", "microsoft"})


def provider_of_module(module: str) -> str | None:
    """``airflow.providers.amazon.aws.x`` -> ``apache-airflow-providers-amazon``; None outside providers."""
    if not module.startswith(PROVIDER_PREFIX):
        return None
    parts = module[len(PROVIDER_PREFIX) :].split(".")
    name = parts[:2] if parts[0] in NAMESPACES and len(parts) > 1 else parts[:1]
    return "apache-airflow-providers-" + "-".join(name).replace("_", "-")


def pipeline_requirements(pipeline: Pipeline) -> set[str]:
    found: set[str] = set()
    for task in pipeline.tasks:
        provider = task.operator.provider if task.operator else provider_of_module(task.module)
        if provider:
            found.add(provider)
    return found


def requirements(pipelines: Iterable[Pipeline]) -> list[str]:
    """Sorted, one distribution per entry, ready for ``pip install -r``."""
    return sorted(set().union(*(pipeline_requirements(p) for p in pipelines)))
