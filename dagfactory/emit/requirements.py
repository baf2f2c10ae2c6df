"""Which provider distributions compiled pipelines need: ``dagfactory requirements``.

Catalog operators name their distribution; a class-path operator under
``airflow.providers.X`` maps to ``apache-airflow-providers-X``. Providers in a
namespace (``common.sql``, ``microsoft.azure``, ...) take two name parts.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagfactory.check.pools import declared_pools, pool_commands
from dagfactory.load.document import Document
from dagfactory.model import Pipeline
from dagfactory.targets import DEFAULT as DEFAULT_TARGET
from dagfactory.targets import Target

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


def pipeline_requirements(pipeline: Pipeline, target: Target = DEFAULT_TARGET) -> set[str]:
    found: set[str] = set()
    for task in pipeline.tasks:
        if task.flavour is not None:
            found.update(d for d in (target.taskflow_distribution,) if d)
            found.update(target.flavour_distributions.get(task.flavour.name, ()))
            continue
        if task.operator:  # the target may ship it in apache-airflow itself (Airflow 2's core operators)
            provider = target.distribution(task.operator.name, task.operator.provider)
        else:
            provider = provider_of_module(task.module)
        if provider:
            found.add(provider)
    return found


def requirements(pipelines: Iterable[Pipeline], target: Target = DEFAULT_TARGET) -> list[str]:
    """Sorted, one distribution per entry, ready for ``pip install -r``."""
    return sorted(set().union(*(pipeline_requirements(p, target) for p in pipelines)))


def pool_lines(documents: Iterable[Document]) -> list[str]:
    """``airflow pools set`` commands for every pool the specs declare, sorted by pool name."""
    return pool_commands(pool for doc in documents for pool in declared_pools(doc.data))
