"""Typed values: 1C's naive datetimes, empty refs/dates and Int64 strings become Python values."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connector.onec.values import EMPTY_REF, onec_payload, typed_entity

MSK = ZoneInfo("Europe/Moscow")


def test_naive_datetime_becomes_aware_in_base_zone() -> None:
    out = typed_entity({"Date": "2025-01-21T10:15:36"}, MSK)
    assert out["Date"] == datetime(2025, 1, 21, 10, 15, 36, tzinfo=MSK)
    assert out["Date"].astimezone(UTC).hour == 7


def test_empty_values_become_none_and_int64_becomes_int() -> None:
    entity = {
        "odata.metadata": "http://h/$metadata#Document_X/@Element",
        "Ref_Key": "8d04ce3c-6360-11e9-dd92-fa163e8ba11d",
        "Партнер_Key": EMPTY_REF,
        "ДатаОкончания": "0001-01-01T00:00:00",
        "ДокументОснование": "",
        "ДокументОснование_Type": "StandardODATA.Undefined",
        "Тема": "2025",
        "DataVersion": "AAAADAAAAAA=",
        "Операции": [{"LineNumber": "3", "Заказчик_Key": EMPTY_REF, "ПнДлительность": 1.5}],
    }
    out = typed_entity(entity, MSK)
    assert "odata.metadata" not in out
    assert out["Партнер_Key"] is None
    assert out["ДатаОкончания"] is None
    assert out["ДокументОснование"] is None
    assert out["Тема"] == "2025"
    assert out["DataVersion"] == "AAAADAAAAAA="
    assert out["Операции"] == [{"LineNumber": 3, "Заказчик_Key": None, "ПнДлительность": 1.5}]


def test_payload_renders_values_the_way_1c_reads_them() -> None:
    ref = uuid.uuid4()
    body = onec_payload(
        {
            "Date": datetime(2025, 1, 21, 7, 0, tzinfo=UTC),
            "ДатаС": date(2025, 1, 20),
            "Сотрудник_Key": ref,
            "Заказчик_Key": None,
            "Всего": Decimal("2.25"),
            "Операции": [{"LineNumber": 1, "ТТ_Объект": str(ref)}],
        },
        MSK,
    )
    assert body == {
        "Date": "2025-01-21T10:00:00",
        "ДатаС": "2025-01-20T00:00:00",
        "Сотрудник_Key": str(ref),
        "Заказчик_Key": EMPTY_REF,
        "Всего": 2.25,
        "Операции": [{"LineNumber": 1, "ТТ_Объект": str(ref)}],
    }
