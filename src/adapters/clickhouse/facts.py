"""An order's reporting facts as one JSON text (the warehouse keeps each version in a String)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from commerce_core.reporting.projection import (
    FunnelStep,
    OrderFacts,
    OrderLineFacts,
    SoldLine,
)


def dump_order(order: OrderFacts) -> str:
    data: dict[str, Any] = {
        "currency": order.currency,
        "lines": None
        if order.lines is None
        else [[line.product_id, line.quantity, str(line.unit_price)] for line in order.lines],
        "confirmed_on": order.confirmed_on.isoformat() if order.confirmed_on else None,
        "reversed": order.reversed,
        "refunded": str(order.refunded),
        "returned": [list(pair) for pair in order.returned],
        "categories": [list(pair) for pair in order.categories],
        "sold": [[s.product_id, s.category, s.units, str(s.revenue)] for s in order.sold],
        "steps": sorted(step.value for step in order.steps),
    }
    return json.dumps(data, separators=(",", ":"))


def load_order(order_id: str, text: str) -> OrderFacts:
    data = json.loads(text)
    lines = data["lines"]
    return OrderFacts(
        order_id=order_id,
        currency=data["currency"],
        lines=None
        if lines is None
        else tuple(OrderLineFacts(p, int(q), Decimal(price)) for p, q, price in lines),
        confirmed_on=date.fromisoformat(data["confirmed_on"]) if data["confirmed_on"] else None,
        reversed=bool(data["reversed"]),
        refunded=Decimal(data["refunded"]),
        returned=tuple((p, int(q)) for p, q in data["returned"]),
        categories=tuple((p, c) for p, c in data["categories"]),
        sold=tuple(SoldLine(p, c, int(u), Decimal(r)) for p, c, u, r in data["sold"]),
        steps=frozenset(FunnelStep(step) for step in data["steps"]),
    )
