"""Seed determinism and the e-mail scheme; URL literal, key and query decoding."""

from __future__ import annotations

import pytest

from mock_1c.errors import OneCError
from mock_1c.odata.urls import parse_key, parse_literal, parse_path, parse_query
from mock_1c.seed import SeedCounts, generate, stable_ref, user_email


def test_same_seed_same_base_and_counts_follow_scale() -> None:
    a = generate(42, SeedCounts.for_scale("small"))
    b = generate(42, SeedCounts.for_scale("small"))
    assert a == b
    assert len(a["Document_CRM_Интерес"]) == 50 and len(a["Catalog_Проекты"]) == 5
    leaves = [t for t in a["Catalog_ЗадачиПроектов"].values() if not t["IsFolder"]]
    assert len(leaves) == 40
    assert generate(7, SeedCounts.for_scale("small")) != a
    assert stable_ref("Catalog_Номенклатура", "Перерыв") in a["Catalog_Номенклатура"]


def test_explicit_counts_override_scale_and_negative_is_refused() -> None:
    counts = SeedCounts.for_scale("large", interests=3, users=2)
    assert (counts.interests, counts.projects, counts.users) == (3, 1_000, 2)
    with pytest.raises(ValueError):
        SeedCounts.for_scale("huge")
    with pytest.raises(ValueError):
        SeedCounts.for_scale("small", tasks=-1)


def test_email_scheme() -> None:
    assert user_email(0, "Иванов", "Андрей") == ("andrey.ivanov0@vektor-it.ru",) * 2
    assert user_email(6, "Иванов", "Андрей")[0] == ""
    sync, contact = user_email(8, "Иванов", "Андрей")
    assert sync == sync.upper() and contact.lower() == sync.lower()
    assert user_email(9, "Иванов", "Андрей") == ("", "")


def test_literals_and_keys() -> None:
    assert (
        parse_literal("guid'8D04CE3C-6360-11E9-DD92-FA163E8BA11D'").value
        == "8d04ce3c-6360-11e9-dd92-fa163e8ba11d"
    )
    assert parse_literal("'О''Нил'").value == "О'Нил"
    assert parse_literal("datetime'2024-01-01T00:00:00'").kind == "datetime"
    assert parse_literal("12.5").value == 12.5
    for bad in ("guid'x'", "datetime'2024-01-01'", "'a'b'", "abc"):
        with pytest.raises(OneCError):
            parse_literal(bad)
    key = parse_key(
        "Period=datetime'2024-01-01T00:00:00',Валюта_Key=guid'8d04ce3c-6360-11e9-dd92-fa163e8ba11d'"
    )
    assert set(key) == {"Period", "Валюта_Key"}
    res = parse_path("Document_X(guid'8d04ce3c-6360-11e9-dd92-fa163e8ba11d')/Post()")
    assert (res.entity_set, res.segment) == ("Document_X", "Post")
    assert parse_path("Catalog_X(Code='a/b')").key == {"Code": parse_literal("'a/b'")}


def test_query_names_and_values_are_decoded_plus_kept() -> None:
    q = parse_query(b"%24filter=%D0%A2%D0%B5%D0%BC%D0%B0%20eq%20%27a+b%27&$top=5")
    assert q.get("$filter") == "Тема eq 'a+b'" and q.get("$top") == "5"
    assert parse_query(b"$filter=a+eq+1", plus_as_space=True).get("$filter") == "a eq 1"
    with pytest.raises(OneCError):
        parse_query(b"$bogus=1")
