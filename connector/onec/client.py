"""The OData client for 1C's standard interface: streamed reads, typed values, safe writes.

Every engine reads and writes 1C through ``ODataClient``. Reads are generators over pages
(keyset paging by ``Ref_Key`` where possible, ``$top``/``$skip`` otherwise), so memory stays
bounded by one page. Writes never retry blindly after a timeout: they raise ``OutcomeUnknown``
and the caller reads before writing again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from connector.onec.errors import AmbiguousMatch, Fatal, json_body
from connector.onec.http import OneCHttp, check_base_url
from connector.onec.metadata import EntitySetInfo, parse_metadata
from connector.onec.query import (
    Expr,
    F,
    Guid,
    Query,
    Value,
    check_field_path,
    entity_path,
    key_segment,
    literal,
)
from connector.onec.retry import RetryPolicy
from connector.onec.values import onec_payload, typed_entity

_PARAM_SAFE = "'"
SKIP_PAGED_PREFIXES = ("InformationRegister_", "AccumulationRegister_", "Constant_", "AccountingRegister_")


class ODataClient:
    """A client of one 1C base's ``/odata/standard.odata``. Thread-safe; call ``close()`` at the end."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        timezone: str | tzinfo,
        session: requests.Session | None = None,
        page_size: int = 1000,
        timeout: float = 30.0,
        deadline: float = 120.0,
        max_concurrency: int = 2,
        rate_limit: float = 50.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.root = f"{self.base_url}/odata/standard.odata"
        self.tz: tzinfo = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.page_size = page_size
        self.http = OneCHttp(
            user,
            password,
            session=session,
            timeout=timeout,
            deadline=deadline,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            policy=policy,
        )
        self._metadata: dict[str, EntitySetInfo] | None = None

    # -- reading ---------------------------------------------------------------------------

    def iter_entities(
        self,
        entity_set: str,
        *,
        filter: Expr | None = None,
        select: Iterable[str] | None = None,
        expand: Iterable[str] | None = None,
        page_size: int | None = None,
        order_by_ref: bool = True,
        order_by: Iterable[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stream the objects of ``entity_set`` matching ``filter``, one page in memory at a time.

        With ``order_by_ref`` (and an entity set that has ``Ref_Key``) pages are read by keyset
        (``$orderby=Ref_Key`` and ``Ref_Key gt guid'<last>'``), which costs 1C the same for every
        page; otherwise by ``$top``/``$skip`` (ordered by ``order_by`` when given, e.g.
        ``["Period", "Recorder"]``), whose cost grows with the offset."""
        size = page_size or self.page_size
        keyset = order_by_ref and not entity_set.startswith(SKIP_PAGED_PREFIXES)
        sel = tuple(select or ())
        if keyset and sel and "Ref_Key" not in sel:
            sel = ("Ref_Key", *sel)
        last: str | None = None
        skip = 0
        while True:
            flt = filter
            if keyset and last is not None:
                after = F("Ref_Key") > Guid(last)
                flt = after if filter is None else after & filter
            query = Query(
                entity_set,
                filter=flt,
                select=sel,
                expand=tuple(expand or ()),
                order_by=("Ref_Key",) if keyset else tuple(order_by or ()),
                top=size,
                skip=None if keyset else skip,
            )
            page = self._collection(query)
            for item in page:
                yield typed_entity(item, self.tz)
            if len(page) < size:
                return
            if keyset:
                last = page[-1].get("Ref_Key")
                if not last:
                    raise Fatal(f"entity set {entity_set}: objects carry no Ref_Key; use order_by_ref=False")
            skip += size

    def get(self, entity_set: str, ref: object, select: Iterable[str] | None = None) -> dict[str, Any]:
        """One object by reference; ``NotFound`` if it does not exist."""
        query = Query(entity_set, key=key_segment(ref), select=tuple(select or ()))
        resp = self.http.request("GET", query.url(self.root, self.tz), entity_set=entity_set)
        return typed_entity(self._object(resp, entity_set), self.tz)

    def count(self, entity_set: str, filter: Expr | None = None) -> int:
        """How many objects match (``…/$count``)."""
        qs = Query(entity_set, filter=filter).query_string(self.tz, json=False)
        url = f"{self.root}/{entity_path(entity_set)}/$count" + (f"?{qs}" if qs else "")
        resp = self.http.request("GET", url, entity_set=entity_set)
        text = resp.text.strip()
        if not text.isdigit():
            raise Fatal(f"entity set {entity_set}: $count answered {text[:40]!r}, not a number", url=url)
        return int(text)

    def find_by(
        self, entity_set: str, field: str, value: Value, select: Iterable[str] | None = None
    ) -> dict[str, Any] | None:
        """The one object whose ``field`` equals ``value``, or None; ``AmbiguousMatch`` if several."""
        query = Query(
            entity_set, filter=F(check_field_path(field)) == value, select=tuple(select or ()), top=2
        )
        found = self._collection(query)
        if len(found) > 1:
            raise AmbiguousMatch(f"entity set {entity_set}: more than one object has {field} = {value!r}")
        return typed_entity(found[0], self.tz) if found else None

    def metadata(self) -> dict[str, EntitySetInfo]:
        """Published entity sets and their properties (parsed ``$metadata``, cached)."""
        if self._metadata is None:
            resp = self.http.request("GET", f"{self.root}/$metadata", headers={"Accept": "application/xml"})
            self._metadata = parse_metadata(resp.content)
        return self._metadata

    # -- writing ---------------------------------------------------------------------------

    def create(self, entity_set: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create an object (201); returns it as 1C stored it (with Ref_Key and DataVersion)."""
        url = f"{self.root}/{entity_path(entity_set)}?$format=json"
        resp = self.http.request("POST", url, entity_set=entity_set, write=True, body=self._body(data))
        return typed_entity(self._object(resp, entity_set), self.tz)

    def patch(
        self, entity_set: str, ref: object, data: Mapping[str, Any], if_match: str | None = None
    ) -> dict[str, Any]:
        """Change the given fields; with ``if_match`` (a DataVersion) a concurrent change raises
        ``Conflict`` instead of being overwritten. A tabular section is replaced whole."""
        url = f"{self.root}/{entity_path(entity_set)}{key_segment(ref)}?$format=json"
        headers = {"If-Match": if_match} if if_match else None
        resp = self.http.request(
            "PATCH", url, entity_set=entity_set, write=True, body=self._body(data), headers=headers
        )
        return typed_entity(self._object(resp, entity_set), self.tz)

    def delete(self, entity_set: str, ref: object, if_match: str | None = None) -> None:
        """Physically delete (marking for deletion is ``patch(…, {"DeletionMark": True})``)."""
        url = f"{self.root}/{entity_path(entity_set)}{key_segment(ref)}"
        headers = {"If-Match": if_match} if if_match else None
        self.http.request("DELETE", url, entity_set=entity_set, write=True, headers=headers)

    def post_document(self, entity_set: str, ref: object, *, operational: bool = False) -> None:
        """Post a document; a closed period raises ``ClosedPeriod``, a business rule ``Fatal``."""
        self._document_action(entity_set, ref, f"Post?PostingModeOperational={str(operational).lower()}")

    def unpost_document(self, entity_set: str, ref: object) -> None:
        self._document_action(entity_set, ref, "Unpost")

    def invoke(
        self,
        entity_set: str,
        ref: object,
        function: str,
        params: Mapping[str, Value] | None = None,
        *,
        idempotent: bool = False,
    ) -> Any:
        """POST a bound function (e.g. ``SelectChanges`` on an exchange-plan node); its JSON or None.
        ``idempotent`` calls are retried after a timeout instead of raising ``OutcomeUnknown``."""
        qs = "&".join(
            f"{check_field_path(k)}={quote(literal(v, self.tz), safe=_PARAM_SAFE)}"
            for k, v in (params or {}).items()
        )
        url = f"{self.root}/{entity_path(entity_set)}{key_segment(ref)}/{check_field_path(function)}"
        url += f"?{qs}&$format=json" if qs else "?$format=json"
        resp = self.http.request("POST", url, entity_set=entity_set, write=not idempotent)
        if resp.status_code == 204 or not resp.content:
            return None
        return json_body(resp, entity_set)

    def close(self) -> None:
        """End the 1C session and release connections."""
        self.http.finish_session(f"{self.root}/")
        self.http.close()

    def __enter__(self) -> ODataClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------

    def _document_action(self, entity_set: str, ref: object, action: str) -> None:
        url = f"{self.root}/{entity_path(entity_set)}{key_segment(ref)}/{action}"
        self.http.request("POST", url, entity_set=entity_set, write=True)

    def _collection(self, query: Query) -> list[dict[str, Any]]:
        resp = self.http.request("GET", query.url(self.root, self.tz), entity_set=query.entity_set)
        body = json_body(resp, query.entity_set)
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, list):
            raise Fatal(f"entity set {query.entity_set}: the answer has no 'value' list", url=resp.url)
        return value

    def _object(self, resp: requests.Response, entity_set: str) -> dict[str, Any]:
        body = json_body(resp, entity_set)
        if not isinstance(body, dict):
            raise Fatal(f"entity set {entity_set}: expected an object in the answer", url=resp.url)
        return body

    def _body(self, data: Mapping[str, Any]) -> bytes:
        return json.dumps(onec_payload(data, self.tz), ensure_ascii=False).encode("utf-8")
