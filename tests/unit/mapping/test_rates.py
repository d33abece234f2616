"""The rates file: rows per work type and customer; every mistake as file:line: field: message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.mapping import MappingError
from connector.mapping.rates import parse_rates

KNOWN = {"Консультация", "d3e94583-3fd7-58ed-8220-d01477c6bfc0"}


def test_rows_with_and_without_a_customer() -> None:
    text = (
        "currency: RUB\n"
        "rates:\n"
        "  - work_type: Консультация\n"
        "    rate: 2500\n"
        "  - work_type: Консультация\n"
        "    customer: ООО «Ромашка»\n"
        "    rate: 3000.50\n"
    )
    rates = parse_rates(text, "rates.yaml", KNOWN)
    assert rates.table() == {
        ("Консультация", None): Decimal("2500"),
        ("Консультация", "ООО «Ромашка»"): Decimal("3000.50"),
    }
    assert [r.line for r in rates.rows] == [3, 5]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("  - work_type: Консультация\n    rate: -5\n", "rates.yaml:3: rates[0].rate: negative"),
        (
            "  - work_type: Разработка\n    rate: 5\n",
            "rates.yaml:2: rates[0].work_type: unknown work type 'Разработка'",
        ),
        ("  - work_type: Консультация\n    rate: много\n", "rates.yaml:3: rates[0].rate: not a number"),
        (
            "  - work_type: Консультация\n    rate: 1\n  - work_type: Консультация\n    rate: 2\n",
            "rates.yaml:4: rates[1]: duplicate rate of Консультация (first at line 2)",
        ),
        (
            "  - work_type: Консультация\n    rate: 1\n    discount: 5\n",
            "rates.yaml:4: rates[0].discount: unknown key",
        ),
    ],
)
def test_every_mistake_names_file_line_and_field(rows: str, expected: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_rates("rates:\n" + rows, "rates.yaml", KNOWN)
    assert str(caught.value).startswith(expected), str(caught.value)
    assert " — " in str(caught.value)  # with the fix


def test_not_yaml_or_no_rates() -> None:
    with pytest.raises(MappingError, match=r"rates.yaml:2: YAML syntax error"):
        parse_rates("rates: [\n", "rates.yaml", KNOWN)
    with pytest.raises(MappingError, match="rates: missing or not a list"):
        parse_rates("currency: RUB\n", "rates.yaml", KNOWN)
