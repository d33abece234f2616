"""SOAP faults and transport failures map to the same taxonomy as OData."""

from __future__ import annotations

from zeep.exceptions import Fault, TransportError

from connector.onec.errors import ClosedPeriod, Fatal, Retriable
from connector.onec.soap import _fault_error, _results, _transport_error

URL = "http://1c.test/crm/ws/TimeTracking.1cws"


def test_faults_map_by_1c_message() -> None:
    closed = _fault_error(Fault("14.01.2025: дата запрета изменения данных 31.01.2025."), URL)
    assert isinstance(closed, ClosedPeriod)
    assert isinstance(_fault_error(Fault("Конфликт блокировок"), URL), Retriable)
    assert type(_fault_error(Fault("Неизвестный сотрудник"), URL)) is Fatal


def test_transport_errors_map_by_status() -> None:
    assert type(_transport_error(TransportError(status_code=401), URL)) is Fatal
    assert isinstance(_transport_error(TransportError(status_code=503), URL), Retriable)
    assert isinstance(_transport_error(TransportError(status_code=406), URL), Retriable)
    assert type(_transport_error(TransportError(status_code=404), URL)) is Fatal


def test_results_accept_wrapped_and_bare_shapes() -> None:
    wrapped = {"Result": {"Row": [{"RowKey": "a", "Status": "Created", "Message": None}]}}
    bare = [{"RowKey": "b", "Status": "Rejected", "Message": "дата запрета"}]
    assert [(r.row_key, r.status) for r in _results(wrapped)] == [("a", "Created")]
    rejected = _results({"Row": bare})
    assert rejected[0].rejected and rejected[0].message == "дата запрета"
