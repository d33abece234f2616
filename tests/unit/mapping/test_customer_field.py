"""``labour.customer_field`` as a field of an expanded reference (``Owner/Контрагент_Key``).

The shipped projects mapping does not set it yet (the labour target resolver reads the field
with a single-object GET, where 1C allows no ``$expand``); these tests add it to a copy."""

from pathlib import Path

import pytest

from connector.mapping import MappingError, load_mappings
from tests.unit.mapping.conftest import replace_in


def _error(directory: Path) -> str:
    with pytest.raises(MappingError) as err:
        load_mappings(directory)
    return str(err.value)


def with_customer(directory: Path, value: str = "Owner/Контрагент_Key") -> None:
    replace_in(
        directory / "projects.yaml", "  billable: true", f"  billable: true\n  customer_field: {value}"
    )


def test_a_project_mapping_may_name_its_customer_through_the_owner(mapping_dir: Path) -> None:
    with_customer(mapping_dir)
    projects = {m.name: m for m in load_mappings(mapping_dir)}["projects"]
    assert projects.labour is not None and projects.labour.customer_field == "Owner/Контрагент_Key"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Owner/Контрагентт_Key", "Owner/Контрагентт_Key: Catalog_Проекты has no field 'Контрагентт_Key'"),
        ("Хозяин/Контрагент_Key", "Catalog_ЗадачиПроектов has no navigation property 'Хозяин'"),
        ("Owner/", "'Owner/' is not a field or Navigation/Field"),
        ("Owner/Контрагент/Code", "is not a field or Navigation/Field"),
    ],
)
def test_a_wrong_customer_path_is_reported(mapping_dir: Path, value: str, expected: str) -> None:
    with_customer(mapping_dir, value)
    message = _error(mapping_dir)
    assert "labour.customer_field" in message and expected in message


def test_the_reference_must_be_expanded(mapping_dir: Path) -> None:
    with_customer(mapping_dir)
    replace_in(mapping_dir / "projects.yaml", "  expand: [Owner]", "  expand: []")
    message = _error(mapping_dir)
    assert "labour.customer_field: 'Owner' is not in source.expand — add 'Owner' to source.expand" in message
