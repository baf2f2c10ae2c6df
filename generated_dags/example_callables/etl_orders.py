"""Transform step of the etl_orders_daily pipeline: order rows -> per-customer totals."""

from __future__ import annotations

from typing import Any


def daily_totals(day: str, ti: Any) -> list[dict[str, Any]]:
    """Sum the extracted (customer, amount_cents) rows per customer, sorted by customer."""
    rows = ti.xcom_pull(task_ids="extract") or []
    totals: dict[str, dict[str, Any]] = {}
    for customer, amount_cents in rows:
        entry = totals.setdefault(
            customer, {"customer": customer, "order_count": 0, "total_cents": 0}
        )
        entry["order_count"] += 1
        entry["total_cents"] += int(amount_cents)
    print(f"{day}: {len(rows)} orders, {len(totals)} customers")
    return [totals[name] for name in sorted(totals)]
