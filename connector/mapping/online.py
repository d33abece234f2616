"""Entity sets as the live 1C base publishes them (``$metadata``), for ``validate --online``.

Kept apart from the offline checks so the source of metadata can change without touching them.
"""

from __future__ import annotations

from connector.mapping.crm_model import BUILTIN, EntitySet
from connector.settings import Settings


class OnlineMetadataError(RuntimeError):
    """1C's ``$metadata`` could not be read; the message names the URL setting and the cause."""


def fetch_entity_sets(settings: Settings) -> dict[str, EntitySet]:
    """Read ``$metadata`` through the connector's OData client and describe every entity set.

    Tabular sections are properties typed ``Collection(...)``; their row columns are taken from
    the built-in model where it knows the section (an empty set means "columns unknown").
    """
    from connector.onec.client import ODataClient

    try:
        with ODataClient(
            settings.onec_url,
            settings.onec_user,
            settings.onec_password.get_secret_value(),
            timezone=settings.onec_timezone,
            timeout=settings.onec_timeout,
            deadline=settings.onec_deadline,
        ) as client:
            published = client.metadata()
    except Exception as exc:  # any failure to reach 1C is reported, not raised as a trace
        raise OnlineMetadataError(
            f"cannot read $metadata from ONEC_BRIDGE_ONEC_URL={settings.onec_url}: "
            f"{exc.__class__.__name__}: {exc}"
        ) from None
    result: dict[str, EntitySet] = {}
    for name, info in published.items():
        known = BUILTIN.get(name)
        tabular = {
            prop: (known.tabular.get(prop, frozenset()) if known else frozenset())
            for prop, edm_type in info.properties.items()
            if edm_type.startswith("Collection(")
        }
        fields = frozenset(p for p in info.properties if p not in tabular)
        navigation = {nav: (known.navigation.get(nav, "") if known else "") for nav in info.navigation}
        result[name] = EntitySet(name, fields, tabular, navigation)
    return result
