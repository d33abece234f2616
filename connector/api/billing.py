"""``POST /api/billing/periods``: mark a customer's labour billed through a day; ``GET`` lists them.

Once billed, the period's labour stays in 1C as invoiced: a later tracker correction becomes an
adjustment after the period (listed as "after billing" in the billing report). Closing is refused
(409, with the rows) while labour of that customer in the period is not settled in 1C.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from connector.api.deps import AdminAuth, SessionDep
from connector.api.errors import ApiError, error_body
from connector.store.billing import BillingError, close_period, periods, resolve_customer
from connector.store.models import BilledPeriod

router = APIRouter(tags=["reports"])


class CloseRequest(BaseModel):
    """The customer (its name as reports show it, or its 1C ref) and the last billed day."""

    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=300)
    to: date = Field(description="last billed day, YYYY-MM-DD")


def period_json(p: BilledPeriod) -> dict[str, Any]:
    return {
        "customer_ref": p.customer_ref,
        "customer": p.customer,
        "to": p.last_day.isoformat(),
        "closed_at": p.closed_at.isoformat().replace("+00:00", "Z"),
    }


@router.post("/api/billing/periods", status_code=201, response_model=None)
def close(body: CloseRequest, _: AdminAuth, session: SessionDep) -> dict[str, Any] | JSONResponse:
    """Close a customer's period; 409 lists the unsettled labour that holds it back."""
    try:
        customer = resolve_customer(session, body.customer)
        period = close_period(session, customer, body.to)
    except BillingError as exc:
        if exc.unsettled:
            session.rollback()
            return JSONResponse(
                {**error_body(409, str(exc)), "unsettled": exc.unsettled[:200]}, status_code=409
            )
        raise ApiError(409 if "already billed" in str(exc) else 404, str(exc)) from None
    data = period_json(period)
    session.commit()
    return data


@router.get("/api/billing/periods")
def list_periods(_: AdminAuth, session: SessionDep) -> dict[str, Any]:
    return {"items": [period_json(p) for p in periods(session)]}
