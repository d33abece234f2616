"""Transform unpads only the parts of an object its mapping reads (``read_plan``); with any
padding anywhere, the result must equal transforming the fully unpadded object."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.mapping.templates import field_uses
from connector.sync.core.transform import transform, unpadded
from tests.unit.sync.test_transform import ANNA, BORIS, DIRECTORY, GONE, MAPPINGS, interest, project_task

pads = st.sampled_from(["", " ", "   "])
texts = st.sampled_from(["", "Склад", "ООО «Ромашка»", "Выполнена", "НеЗапланирована", "ПР-1", "x\x1fy"])
padded_text = st.builds(lambda t, p: t + p, texts, pads)
users = st.sampled_from([ANNA, BORIS, GONE, "00000000-0000-0000-0000-000000000000"])
nav = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"Code": padded_text, "Description": padded_text, "Завершен": st.booleans(), "Лишнее": padded_text}
    ),
)
rows = st.lists(
    st.fixed_dictionaries({"Пользователь_Key": users, "Роль": padded_text, "LineNumber": st.integers(1, 3)}),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    number=padded_text,
    topic=padded_text,
    partner=nav,
    state=nav,
    people=rows,
    deleted=st.booleans(),
    extra=padded_text,
)
def test_service_interests_transform_as_if_fully_unpadded(
    number: str, topic: str, partner: Any, state: Any, people: Any, deleted: bool, extra: str
) -> None:
    obj = interest(
        Number=number,
        Тема=topic,
        Партнер=partner,
        Состояние=state,
        Соисполнители=people,
        DeletionMark=deleted,
        Лишнее=extra,
    )
    assert transform(MAPPINGS["service"], obj, DIRECTORY) == transform(
        MAPPINGS["service"], unpadded(obj), DIRECTORY
    )


@settings(max_examples=150, deadline=None)
@given(code=padded_text, stage=padded_text, owner=nav, people=rows, closed=st.booleans(), name=padded_text)
def test_project_stages_transform_as_if_fully_unpadded(
    code: str, stage: str, owner: Any, people: Any, closed: bool, name: str
) -> None:
    obj = project_task(
        Code=code, Стадия=stage, Owner=owner, Участники=people, Закрыта=closed, Description=name
    )
    assert transform(MAPPINGS["projects"], obj, DIRECTORY) == transform(
        MAPPINGS["projects"], unpadded(obj), DIRECTORY
    )


@pytest.mark.parametrize(
    ("source", "condition", "uses"),
    [
        ("{{ P.Description if P else '-' }}", False, {"P": {"Description": "*"}}),
        ("S and S.Done", True, {"S": {"Done": "*"}}),
        ("{{ S and S.Done }}", False, {"S": "*"}),
        ("{{ P }}", False, {"P": "*"}),
        ("{{ P['Description'] }} {{ R.items() }}", False, {"P": "*", "R": "*"}),
        ("{% for r in Rows %}{{ r.Name }}{% endfor %}", False, {"Rows": "*"}),
        ("{{ Q.A.B }}{{ Q.A.C | upper }}", False, {"Q": {"A": {"B": "*", "C": "*"}}}),
    ],
)
def test_field_uses_are_conservative(source: str, condition: bool, uses: dict[str, Any]) -> None:
    assert field_uses(source, expression=condition, condition=condition) == uses
