"""Lineage in a real Airflow 3: the shop chain's Assets on the right tasks, the data-aware
schedule on the right assets, the repo links in the docs panel, and a real run of the producer."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..conftest import REPO
from .harness import assert_dags_test_ok, dagrun_state, run_dags_test

pytestmark = pytest.mark.airflow

RAW = "s3://shop-lake/raw/orders"
REVENUE = "postgres://warehouse:5432/analytics/public/daily_product_revenue"
REPORT = "s3://shop-reports/weekly/revenue"


@pytest.fixture(scope="module")
def shop_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed compiler output for specs/shop (the golden test keeps it current)."""
    folder = tmp_path_factory.mktemp("shop_dags")
    shutil.copytree(REPO / "generated_dags" / "shop", folder / "shop")
    return folder


@pytest.fixture(scope="module")
def shop(shop_folder: Path, dagbag_loader: Callable[[str | Path], dict[str, Any]]) -> dict[str, Any]:
    bag = dagbag_loader(shop_folder)
    assert bag["import_errors"] == {}
    assert bag["serialization_errors"] == {}
    assert sorted(bag["dags"]) == ["orders_daily_aggregate", "orders_extract", "weekly_report"]
    return bag["dags"]


def uris(assets: list[dict[str, Any]]) -> list[str]:
    return [a["uri"] for a in assets]


def test_tasks_carry_their_inlets_and_outlets(shop: dict[str, Any]):
    extract = shop["orders_extract"]["tasks"]
    assert extract["extract_orders"]["inlets"] == [{"uri": "mysql://shop-db:3306/shop/orders", "name": "shop_orders"}]
    assert extract["extract_orders"]["outlets"] == []
    assert extract["upload_to_lake"]["inlets"] == []
    assert extract["upload_to_lake"]["outlets"] == [{"uri": RAW, "name": "raw_orders"}]
    aggregate = shop["orders_daily_aggregate"]["tasks"]  # task-level lineage: only that task
    assert uris(aggregate["aggregate"]["inlets"]) == [RAW]
    assert aggregate["aggregate"]["outlets"] == [{"uri": REVENUE, "name": "daily_product_revenue"}]
    for task_id in ("wait_for_raw_orders", "check_totals"):
        assert aggregate[task_id]["inlets"] == aggregate[task_id]["outlets"] == []
    report = shop["weekly_report"]["tasks"]
    assert uris(report["build_report"]["inlets"]) == [REVENUE]
    assert report["publish"]["outlets"] == [{"uri": REPORT, "name": "weekly_revenue_report"}]


def test_asset_scheduled_dag_waits_for_the_aggregate(shop: dict[str, Any]):
    report = shop["weekly_report"]
    assert report["schedule_kind"] == "assets"
    assert report["schedule"] == [REVENUE]
    assert report["asset_condition"] == {"all": [{"uri": REVENUE, "name": REVENUE}]}
    assert shop["orders_daily_aggregate"]["schedule"] == "0 4 * * *"


def test_docs_panel_names_producers_and_consumers(shop: dict[str, Any]):
    doc = shop["orders_daily_aggregate"]["doc_md"]
    assert "written by `orders_extract`" in doc
    assert "read by `weekly_report`" in doc
    assert "| Business owner | Merchandising (Commerce) <merch@example.com> |" in doc
    assert "read by `orders_daily_aggregate`" in shop["orders_extract"]["doc_md"]


@pytest.mark.slow
def test_producer_runs_in_airflow(airflow_home: Path, shop_folder: Path):
    proc = run_dags_test(airflow_home, shop_folder, "orders_extract", "2024-06-03")
    assert_dags_test_ok(proc)
    assert dagrun_state(proc.stdout) == "success"
    assert "uploading orders_20240603.csv to s3://shop-lake/raw/orders" in proc.stdout
