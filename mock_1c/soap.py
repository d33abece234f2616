"""The labour web service ``/<ib>/ws/TimeTracking.1cws`` (SOAP 1.1 and 1.2, parsed with lxml).

Rows are kept in ``InformationRegister_ТТ_ТрудозатратыТрекера`` (one record per RowKey), so
OData sees what SOAP wrote. ``PutLabour`` is idempotent twice over: a replayed BatchId returns
the first answer and changes nothing; a row equal to the stored one is ``Unchanged``. A row that
breaks a rule is ``Rejected`` with a message — the rest of the batch still applies. A request
that does not match the WSDL is a SOAP Fault.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import date
from typing import Any

from lxml import etree
from starlette.responses import Response

from mock_1c.infobase import InfoBase
from mock_1c.odata.urls import GUID_RE
from mock_1c.schema import ENTITY_SETS, LABOUR_REGISTER
from mock_1c.soap_wsdl import NS, wsdl

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
ROW_FIELDS = ("RowKey", "Employee", "ObjectType", "Object", "WorkDate", "WorkType", "Minutes", "Billable")
OPTIONAL_FIELDS = ("Comment", "EvidenceUrl")
MAX_MINUTES_PER_DAY = 24 * 60


class SoapFault(Exception):
    def __init__(self, message: str, client: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.client = client


class RowRejected(Exception):
    pass


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _text(parent: etree._Element, name: str) -> str | None:
    el = parent.find(_q(name))
    return None if el is None else (el.text or "")


class LabourService:
    def __init__(self, ib: InfoBase) -> None:
        self.ib = ib
        self._lock = threading.Lock()

    # ---- HTTP ----------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[Response, str]:
        label = "ws:TimeTracking"
        if method == "GET":
            if url.split("?", 1)[-1].lower().startswith("wsdl") and "?" in url:
                location = url.split("?", 1)[0]
                return Response(wsdl(location), media_type="text/xml;charset=utf-8"), label
            hint = "Описание веб-сервиса: ?wsdl"
            return Response(hint, status_code=400, media_type="text/plain;charset=utf-8"), label
        if method != "POST":
            return Response(status_code=405), label
        version = SOAP12 if "application/soap+xml" in headers.get("content-type", "") else SOAP11
        try:
            root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
            if root.tag not in (f"{{{SOAP11}}}Envelope", f"{{{SOAP12}}}Envelope"):
                raise SoapFault("Запрос не является конвертом SOAP.", client=True)
            version = root.tag[1:].split("}")[0]
            soap_body = root.find(f"{{{version}}}Body")
            if soap_body is None or len(soap_body) != 1:
                raise SoapFault("В теле запроса SOAP должен быть ровно один элемент операции.", client=True)
            op = soap_body[0]
            if op.tag == _q("PutLabour"):
                answer = self.put_labour(op)
            elif op.tag == _q("GetLabour"):
                answer = self.get_labour(op)
            else:
                name = etree.QName(op).localname
                raise SoapFault(f"Операция {name} не найдена в описании веб-сервиса.", client=True)
        except etree.XMLSyntaxError as exc:
            return self._fault(version, SoapFault(f"Ошибка разбора XML: {exc}", client=True)), label
        except SoapFault as fault:
            return self._fault(version, fault), label
        label += ":" + etree.QName(op).localname
        return self._envelope(version, answer), label

    def _envelope(self, version: str, payload: etree._Element) -> Response:
        env = etree.Element(f"{{{version}}}Envelope", nsmap={"soap": version})
        etree.SubElement(env, f"{{{version}}}Body").append(payload)
        media = "application/soap+xml" if version == SOAP12 else "text/xml"
        data = etree.tostring(env, xml_declaration=True, encoding="utf-8")
        return Response(data, media_type=f"{media};charset=utf-8")

    def _fault(self, version: str, fault: SoapFault) -> Response:
        env = etree.Element(f"{{{version}}}Envelope", nsmap={"soap": version})
        f = etree.SubElement(etree.SubElement(env, f"{{{version}}}Body"), f"{{{version}}}Fault")
        if version == SOAP12:
            code = etree.SubElement(etree.SubElement(f, f"{{{version}}}Code"), f"{{{version}}}Value")
            code.text = "soap:" + ("Sender" if fault.client else "Receiver")
            reason = etree.SubElement(etree.SubElement(f, f"{{{version}}}Reason"), f"{{{version}}}Text")
            reason.set("{http://www.w3.org/XML/1998/namespace}lang", "ru")
            reason.text = fault.message
        else:
            etree.SubElement(f, "faultcode").text = "soap:" + ("Client" if fault.client else "Server")
            etree.SubElement(f, "faultstring").text = fault.message
        media = "application/soap+xml" if version == SOAP12 else "text/xml"
        data = etree.tostring(env, xml_declaration=True, encoding="utf-8")
        return Response(data, status_code=500, media_type=f"{media};charset=utf-8")

    # ---- operations ----------------------------------------------------------------------
    def put_labour(self, op: etree._Element) -> etree._Element:
        batch = op.find(_q("Batch"))
        if batch is None:
            raise SoapFault("Не указан обязательный параметр Batch.", client=True)
        batch_id = (_text(batch, "BatchId") or "").strip()
        if not batch_id:
            raise SoapFault("Не указан идентификатор пакета BatchId.", client=True)
        rows = batch.findall(_q("Row"))
        digest = hashlib.sha256(etree.tostring(batch, method="c14n")).hexdigest()
        with self._lock:
            batches: dict[str, Any] = dict(self.ib.meta.get("soap_batches", {}))
            if batch_id in batches:
                stored = batches[batch_id]
                if stored["digest"] != digest:
                    raise SoapFault(f"Пакет {batch_id} уже загружен с другим содержимым.")
                results = stored["results"]
            else:
                results = [self._apply_row(row, batch_id) for row in rows]
                batches[batch_id] = {"digest": digest, "results": results}
                self.ib.save_extra("soap_batches", batches)
        out = etree.Element(_q("PutLabourResponse"), nsmap={"m": NS})
        ret = etree.SubElement(out, _q("return"))
        for key, status, message in results:
            r = etree.SubElement(ret, _q("Row"))
            etree.SubElement(r, _q("RowKey")).text = key
            etree.SubElement(r, _q("Status")).text = status
            etree.SubElement(r, _q("Message")).text = message
        return out

    def _apply_row(self, row: etree._Element, batch_id: str) -> tuple[str, str, str]:
        key = (_text(row, "RowKey") or "").strip()
        try:
            record = self._record(row, key, batch_id)
        except RowRejected as exc:
            return key, "Rejected", str(exc)
        closing = self.ib.closing_date()
        if closing and not closing.startswith("0001") and record["ДатаРабот"][:10] <= closing[:10]:
            d = date.fromisoformat(closing[:10]).strftime("%d.%m.%Y")
            return key, "Rejected", f"Период закрыт: дата запрета изменения данных {d}."
        existing = self.ib.get(LABOUR_REGISTER, key)
        if record["Минуты"] == 0:
            if existing is None:
                return key, "Unchanged", ""
            self.ib.put_record(LABOUR_REGISTER, key, None)
            return key, "Deleted", ""
        same = existing is not None and all(
            existing.get(k) == v for k, v in record.items() if k != "ИдентификаторПакета"
        )
        if same:
            return key, "Unchanged", ""
        emp, day = record["Сотрудник_Key"], record["ДатаРабот"]
        total = record["Минуты"] + sum(
            r["Минуты"]
            for r in self.ib.entities(LABOUR_REGISTER)
            if r["Сотрудник_Key"] == emp and r["ДатаРабот"] == day and r["КлючСтроки"] != key
        )
        if total > MAX_MINUTES_PER_DAY:
            d = date.fromisoformat(day[:10]).strftime("%d.%m.%Y")
            return key, "Rejected", f"За {d} у сотрудника больше 24 часов ({total} мин)."
        self.ib.put_record(LABOUR_REGISTER, key, record)
        return key, "Created" if existing is None else "Updated", ""

    def _record(self, row: etree._Element, key: str, batch_id: str) -> dict[str, Any]:
        known = {_q(n) for n in ROW_FIELDS + OPTIONAL_FIELDS}
        for child in row:
            if child.tag not in known:
                raise RowRejected(f"Неизвестный элемент строки: {etree.QName(child).localname}.")
        values = {n: _text(row, n) for n in ROW_FIELDS + OPTIONAL_FIELDS}
        missing = [n for n in ROW_FIELDS if values[n] is None or not str(values[n]).strip()]
        if missing:
            raise RowRejected(f"Не заполнены обязательные поля строки: {', '.join(missing)}.")
        v: dict[str, str] = {k: str(x).strip() for k, x in values.items() if x is not None}
        for name, set_name in (("Employee", "Catalog_Сотрудники"), ("WorkType", "Catalog_Номенклатура")):
            if not GUID_RE.match(v[name]) or self.ib.get(set_name, v[name].lower()) is None:
                raise RowRejected(f"Не найден элемент {set_name} по ссылке {v[name]} ({name}).")
        if v["ObjectType"] not in ENTITY_SETS or not ENTITY_SETS[v["ObjectType"]].is_object:
            raise RowRejected(f"Неизвестный тип объекта: {v['ObjectType']}.")
        if not GUID_RE.match(v["Object"]) or self.ib.get(v["ObjectType"], v["Object"].lower()) is None:
            raise RowRejected(f"Объект {v['ObjectType']} с ссылкой {v['Object']} не найден.")
        try:
            work_date = date.fromisoformat(v["WorkDate"][:10])
        except ValueError:
            raise RowRejected(f"Неверная дата работ: {v['WorkDate']}.") from None
        if not v["Minutes"].lstrip("-").isdigit() or not 0 <= int(v["Minutes"]) <= MAX_MINUTES_PER_DAY:
            raise RowRejected(f"Неверное количество минут: {v['Minutes']} (от 0 до 1440).")
        if v["Billable"] not in ("true", "false", "1", "0"):
            raise RowRejected(f"Неверное значение Billable: {v['Billable']}.")
        return {
            "КлючСтроки": key,
            "Сотрудник_Key": v["Employee"].lower(),
            "Объект": v["Object"].lower(),
            "Объект_Type": f"StandardODATA.{v['ObjectType']}",
            "ДатаРабот": work_date.strftime("%Y-%m-%dT00:00:00"),
            "ВидРабот_Key": v["WorkType"].lower(),
            "Минуты": int(v["Minutes"]),
            "Оплачиваемые": v["Billable"] in ("true", "1"),
            "Комментарий": v.get("Comment", ""),
            "СсылкаНаДоказательства": v.get("EvidenceUrl", ""),
            "ИдентификаторПакета": batch_id,
        }

    def get_labour(self, op: etree._Element) -> etree._Element:
        try:
            start = date.fromisoformat((_text(op, "From") or "")[:10])
            end = date.fromisoformat((_text(op, "To") or "")[:10])
        except ValueError:
            raise SoapFault("Параметры From и To должны быть датами.", client=True) from None
        employee = (_text(op, "Employee") or "").strip().lower()
        lo, hi = start.strftime("%Y-%m-%dT00:00:00"), end.strftime("%Y-%m-%dT00:00:00")
        rows = [
            r
            for r in self.ib.entities(LABOUR_REGISTER)
            if lo <= r["ДатаРабот"] <= hi and (not employee or r["Сотрудник_Key"] == employee)
        ]
        rows.sort(key=lambda r: (r["ДатаРабот"], r["КлючСтроки"]))
        out = etree.Element(_q("GetLabourResponse"), nsmap={"m": NS})
        ret = etree.SubElement(out, _q("return"))
        for r in rows:
            el = etree.SubElement(ret, _q("Row"))
            for name, value in (
                ("RowKey", r["КлючСтроки"]),
                ("Employee", r["Сотрудник_Key"]),
                ("ObjectType", r["Объект_Type"].split(".", 1)[1]),
                ("Object", r["Объект"]),
                ("WorkDate", r["ДатаРабот"][:10]),
                ("WorkType", r["ВидРабот_Key"]),
                ("Minutes", str(r["Минуты"])),
                ("Billable", "true" if r["Оплачиваемые"] else "false"),
                ("Comment", r["Комментарий"]),
                ("EvidenceUrl", r["СсылкаНаДоказательства"]),
            ):
                etree.SubElement(el, _q(name)).text = value
        return out
