"""The labour web service (SOAP, ``/ws/TimeTracking.1cws``) through zeep.

``PutLabour`` is idempotent by ``BatchId`` (replaying a batch changes nothing), so a batch whose
outcome is unknown is simply sent again. ``GetLabour`` is read in period windows so a long range
never comes back as one huge response. The service is bound to the configured URL, whatever
host the WSDL advertises; the WSDL GET carries the same credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import requests
import zeep
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.transports import Transport

from connector.onec.errors import (
    CLOSED_MARKERS,
    LOCK_MARKERS,
    ClosedPeriod,
    Fatal,
    OneCError,
    Retriable,
    classify_exception,
)
from connector.onec.http import OneCHttp, check_base_url
from connector.onec.query import guid
from connector.onec.retry import RetryPolicy

log = logging.getLogger("connector.onec.soap")
T = TypeVar("T")


@dataclass(frozen=True)
class LabourRow:
    """One labour row keyed by the connector's deterministic ``row_key``; ``minutes=0`` deletes it."""

    row_key: str
    employee: str
    object_type: str
    object_ref: str
    work_date: date
    work_type: str
    minutes: int
    billable: bool = True
    comment: str = ""
    evidence_url: str = ""


@dataclass(frozen=True)
class RowResult:
    """1C's verdict on one row: Created, Updated, Unchanged, Deleted or Rejected (with a message)."""

    row_key: str
    status: str
    message: str = ""

    @property
    def rejected(self) -> bool:
        return self.status == "Rejected"


class _OneCTransport(Transport):
    """zeep transport that fetches documents through ``OneCHttp`` (auth, errors, throttle)."""

    def __init__(self, http: OneCHttp, timeout: float) -> None:
        super().__init__(session=http.session, timeout=timeout, operation_timeout=timeout)
        self._http = http

    def load(self, url: str) -> bytes:
        return self._http.request("GET", url, headers={"Accept": "text/xml, application/xml"}).content

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        with self._http.throttle.slot():
            return self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)


class LabourService:
    """Client of 1C's labour web service."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        service_path: str = "/ws/TimeTracking.1cws",
        session: requests.Session | None = None,
        http: OneCHttp | None = None,
        timeout: float = 30.0,
        deadline: float = 120.0,
        batch_size: int = 200,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.address = check_base_url(base_url) + service_path
        self.http = http or OneCHttp(
            user,
            password,
            session=session,
            timeout=timeout,
            deadline=deadline,
            policy=policy,
            use_ibsession=False,
        )
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self.timeout = timeout
        self._service: Any = None
        self._client: zeep.Client | None = None

    def put_labour(self, batch_id: str, rows: Sequence[LabourRow]) -> list[RowResult]:
        """Write rows in batches of ``batch_size`` (batch ids ``<batch_id>-<n>``); per-row results
        in input order. A closed period rejects rows, not the batch."""
        results: list[RowResult] = []
        for n, start in enumerate(range(0, len(rows), self.batch_size), start=1):
            chunk = rows[start : start + self.batch_size]
            part_id = batch_id if len(rows) <= self.batch_size else f"{batch_id}-{n}"
            payload = {"BatchId": part_id, "Row": [_row_payload(r) for r in chunk]}
            answer = self._call(lambda s, p=payload: s.PutLabour(Batch=p))  # type: ignore[misc]
            results.extend(_results(answer))
        return results

    def get_labour(
        self, date_from: date, date_to: date, employee: str | None = None, *, window_days: int = 7
    ) -> Iterator[LabourRow]:
        """Rows stored for ``[date_from, date_to]``, read ``window_days`` at a time."""
        if date_to < date_from:
            raise ValueError("date_to is before date_from")
        emp = guid(employee) if employee else None
        start = date_from
        while start <= date_to:
            end = min(date_to, start + timedelta(days=window_days - 1))
            kwargs: dict[str, Any] = {"From": start, "To": end}
            if emp:
                kwargs["Employee"] = emp
            answer = self._call(lambda s, kw=kwargs: s.GetLabour(**kw))  # type: ignore[misc]
            yield from _labour_rows(answer)
            start = end + timedelta(days=1)

    # -- internals -------------------------------------------------------------------------

    def _service_proxy(self) -> Any:
        if self._service is None:
            wsdl = f"{self.address}?wsdl"
            try:
                client = zeep.Client(wsdl, transport=_OneCTransport(self.http, self.timeout))
            except OneCError:
                raise
            except (ZeepError, ValueError) as exc:
                raise Fatal(
                    f"the labour service WSDL could not be read: {type(exc).__name__}", url=wsdl
                ) from None
            binding = next(
                (b for b in client.wsdl.bindings if b.endswith("SoapBinding")),
                next(iter(client.wsdl.bindings), None),
            )
            if binding is None:
                raise Fatal("the labour service WSDL has no binding", url=wsdl)
            self._client = client
            self._service = client.create_service(binding, self.address)
        return self._service

    def _call(self, op: Callable[[Any], T]) -> T:
        for attempt in self.http.policy.retrying():
            with attempt:
                try:
                    return op(self._service_proxy())
                except OneCError:
                    raise
                except Fault as fault:
                    raise _fault_error(fault, self.address) from None
                except TransportError as exc:
                    raise _transport_error(exc, self.address) from None
                except requests.RequestException as exc:
                    # PutLabour is idempotent by BatchId: an unknown outcome is safe to resend.
                    raise classify_exception(exc, url=self.address, write=False) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _row_payload(row: LabourRow) -> dict[str, Any]:
    return {
        "RowKey": row.row_key,
        "Employee": guid(row.employee),
        "ObjectType": row.object_type,
        "Object": guid(row.object_ref),
        "WorkDate": row.work_date,
        "WorkType": guid(row.work_type),
        "Minutes": int(row.minutes),
        "Billable": bool(row.billable),
        "Comment": row.comment,
        "EvidenceUrl": row.evidence_url,
    }


def _items(answer: Any, name: str) -> list[dict[str, Any]]:
    data = serialize_object(answer, dict)
    while isinstance(data, dict) and name not in data and len(data) == 1:
        data = next(iter(data.values()))
    if isinstance(data, dict):
        data = data.get(name, [])
    if data is None:
        return []
    return list(data) if isinstance(data, list) else [data]


def _results(answer: Any) -> list[RowResult]:
    return [
        RowResult(str(r.get("RowKey") or ""), str(r.get("Status") or ""), str(r.get("Message") or ""))
        for r in _items(answer, "Row")
    ]


def _labour_rows(answer: Any) -> Iterable[LabourRow]:
    for r in _items(answer, "Row"):
        yield LabourRow(
            row_key=str(r.get("RowKey") or ""),
            employee=str(r.get("Employee") or ""),
            object_type=str(r.get("ObjectType") or ""),
            object_ref=str(r.get("Object") or ""),
            work_date=r["WorkDate"],
            work_type=str(r.get("WorkType") or ""),
            minutes=int(r.get("Minutes") or 0),
            billable=bool(r.get("Billable")),
            comment=str(r.get("Comment") or ""),
            evidence_url=str(r.get("EvidenceUrl") or ""),
        )


def _fault_error(fault: Fault, url: str) -> OneCError:
    text = str(fault.message or "SOAP Fault")
    low = text.lower()
    if any(m in low for m in CLOSED_MARKERS):
        return ClosedPeriod(f"labour service: closed period: {text}", url=url)
    if any(m in low for m in LOCK_MARKERS):
        return Retriable(f"labour service busy: {text}", url=url)
    return Fatal(f"labour service refused the call: {text}", url=url)


def _transport_error(exc: TransportError, url: str) -> OneCError:
    status = int(exc.status_code or 0)
    if status == 401:
        return Fatal("labour service: credentials rejected (check user and password)", status=status, url=url)
    if status in (406, 429) or status >= 500:
        return Retriable(f"labour service unavailable (HTTP {status})", status=status, url=url)
    return Fatal(f"labour service answered HTTP {status}", status=status, url=url)
