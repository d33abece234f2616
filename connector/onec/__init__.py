"""Everything that speaks 1C: the OData client, change feeds and the labour SOAP client.

Public surface: ``ODataClient``, the query helpers ``F``/``Guid``, the change feeds, the error
taxonomy (``OneCError`` and subclasses) and ``LabourService`` (``connector.onec.soap``, imported
lazily because zeep is heavy).
"""

from connector.onec.changes import (
    Change,
    ChangeBatch,
    ChangeFeed,
    DataVersionScan,
    DateCursorFeed,
    ExchangePlanFeed,
)
from connector.onec.client import ODataClient
from connector.onec.errors import (
    AmbiguousMatch,
    ClosedPeriod,
    Conflict,
    Fatal,
    NotFound,
    OneCError,
    OutcomeUnknown,
    Retriable,
    StaleSession,
)
from connector.onec.query import F, Guid, Query, QueryError, all_of
from connector.onec.retry import RetryPolicy
from connector.onec.values import EMPTY_REF

__all__ = [
    "EMPTY_REF",
    "AmbiguousMatch",
    "Change",
    "ChangeBatch",
    "ChangeFeed",
    "ClosedPeriod",
    "Conflict",
    "DataVersionScan",
    "DateCursorFeed",
    "ExchangePlanFeed",
    "F",
    "Fatal",
    "Guid",
    "NotFound",
    "ODataClient",
    "OneCError",
    "OutcomeUnknown",
    "Query",
    "QueryError",
    "Retriable",
    "RetryPolicy",
    "StaleSession",
    "all_of",
]
