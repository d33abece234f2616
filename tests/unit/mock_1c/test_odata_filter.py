"""The mock's ``$filter`` accepts what 1C accepts, means what 1C means, and refuses with 1C's codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_1c.odata_filter import FilterError, compile_filter

PARTNER = "8d04ce3c-6360-11e9-dd92-fa163e8ba11d"
BASIS = "1b2c3d4e-0000-11ef-8a1b-0050569f1a2b"
USER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

INTEREST: dict[str, Any] = {
    "Ref_Key": "0f0e0d0c-1111-2222-3333-444455556666",
    "DataVersion": "AAAADAAAAAA=",
    "DeletionMark": False,
    "Number": "CRM-000512",
    "Date": "2025-01-21T10:15:36",
    "Posted": True,
    "Тема": "Не печатает счёт-фактуру",
    "Содержание": "Клиент пишет: «O'Brien's принтер» не работает",
    "ВидИнтереса": "Сервис",
    "Партнер_Key": PARTNER,
    "Ответственный_Key": USER,
    "ДокументОснование": BASIS,
    "ДокументОснование_Type": "StandardODATA.Document_ЭлектронноеПисьмоВходящее",
    "ТТ_СогласованныеТрудозатраты": 4.5,
    "ТТ_ФактическиеТрудозатраты": 6,
    "ТТ_ПревышениеПлана": True,
    "Соисполнители": [
        {"Ref_Key": "0f0e0d0c-1111-2222-3333-444455556666", "LineNumber": "1", "Пользователь_Key": USER,
         "Роль": "Исполнитель"},
        {"Ref_Key": "0f0e0d0c-1111-2222-3333-444455556666", "LineNumber": "2", "Пользователь_Key": PARTNER,
         "Роль": "Наблюдатель"},
    ],
    "Пустое": None,
}  # fmt: skip

PARTNERS = {PARTNER: {"Ref_Key": PARTNER, "Description": "ООО «Ромашка»", "ИНН": "7701234567"}}


def navigate(entity: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    ref = entity.get(f"{name}_Key")
    return PARTNERS.get(ref) if isinstance(ref, str) else None


def has_property(name: str) -> bool:
    return name in INTEREST


def matches(text: str, entity: Mapping[str, Any] = INTEREST) -> bool:
    return compile_filter(text, has_property=has_property, navigate=navigate)(entity)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Тема eq 'Не печатает счёт-фактуру'", True),
        ("Тема eq 'НЕ ПЕЧАТАЕТ СЧЁТ-ФАКТУРУ'", True),  # 1C compares strings case-insensitively
        ("Тема ne 'не печатает счёт-фактуру'", False),
        ("Number eq 'CRM-000512' and Posted eq true", True),
        ("Posted", True),
        ("not Posted", False),
        ("DeletionMark eq false", True),
        (f"Партнер_Key eq guid'{PARTNER}'", True),
        (f"Партнер_Key eq guid'{PARTNER.upper()}'", True),
        (f"Партнер_Key ne guid'{USER}'", True),
        ("Date ge datetime'2025-01-21T00:00:00' and Date lt datetime'2025-01-22T00:00:00'", True),
        ("Date gt datetime'2025-01-21T10:15:36'", False),
        ("Date le datetime'2025-01-21T10:15:36'", True),
        ("ТТ_ФактическиеТрудозатраты gt ТТ_СогласованныеТрудозатраты", True),
        ("ТТ_ФактическиеТрудозатраты sub ТТ_СогласованныеТрудозатраты eq 1.5", True),
        ("ТТ_СогласованныеТрудозатраты mul 2 add 1 eq 10", True),
        ("ТТ_ФактическиеТрудозатраты div 4 eq 1.5", True),
        ("ТТ_ФактическиеТрудозатраты div 0 eq 0", False),
        ("ТТ_ФактическиеТрудозатраты eq -(-6)", True),
        ("ТТ_СогласованныеТрудозатраты eq 4.5M", True),
        ("(((Тема eq 'x') or (ВидИнтереса eq 'Сервис')))", True),
        ("Тема eq 'x' or ВидИнтереса eq 'Сервис' and Posted", True),
        ("(Тема eq 'x' or ВидИнтереса eq 'Сервис') and not Posted", False),
        # precedence: not a or b and c == (not a) or (b and c)
        ("not Posted or ВидИнтереса eq 'Сервис' and DeletionMark", False),
        ("not DeletionMark or Posted and DeletionMark", True),
        ("not Тема eq 'x'", True),
        ("Пустое eq null", True),
        ("Пустое ne null", False),
        ("Пустое gt 1", False),
        ("Тема ne null", True),
        ("Партнер/Description eq 'ооо «ромашка»'", True),
        ("Партнер/ИНН eq '7701234567'", True),
        ("Ответственный/Description eq null", False),  # no referenced entity: every comparison is false
        ("Ответственный/Description ne 'x'", False),
        ("substringof('печатает', Тема)", True),
        ("substringof('ПЕЧАТАЕТ', Тема) and not substringof('сканер', Тема)", True),
        ("substringof(Тема, 'печатает')", False),  # the needle comes first
        ("startswith(Тема, 'не печ')", True),
        ("endswith(Тема, 'ФАКТУРУ')", True),
        ("substringof('O''Brien''s', Содержание)", True),
        ("concat(Number, Тема) eq 'CRM-000512Не печатает счёт-фактуру'", True),
        ("concat(concat(Number, '/'), ВидИнтереса) eq 'CRM-000512/Сервис'", True),
        ("substring(Number, 4) eq '000512'", True),
        ("substring(Number, 0, 3) eq 'CRM'", True),
        ("like(Тема, 'не печатает%')", True),
        ("like(Тема, '%счёт_фактуру')", True),
        ("like(Тема, 'печатает%')", False),
        ("like(Number, 'CRM-______')", True),
        ("like(Number, 'CRM-.*')", False),  # regex characters are literal
        ("year(Date) eq 2025 and month(Date) eq 1 and day(Date) eq 21", True),
        ("hour(Date) eq 10 and minute(Date) eq 15 and second(Date) eq 36", True),
        (f"ДокументОснование eq cast(guid'{BASIS}','Document_ЭлектронноеПисьмоВходящее')", True),
        (f"ДокументОснование eq cast(guid'{BASIS}','Document_CRM_Интерес')", False),
        (f"ДокументОснование ne cast(guid'{BASIS}','Document_CRM_Интерес')", True),
        (f"ДокументОснование eq cast(guid'{PARTNER}','Document_ЭлектронноеПисьмоВходящее')", False),
        (f"Партнер_Key eq cast(guid'{PARTNER}','Catalog_Контрагенты')", True),
        ("isof(ДокументОснование, 'Document_ЭлектронноеПисьмоВходящее')", True),
        ("isof(ДокументОснование, 'StandardODATA.Document_ЭлектронноеПисьмоВходящее')", True),
        ("isof(ДокументОснование, 'Document_CRM_Интерес')", False),
        ("isof(Тема, 'Edm.String') and not isof(Тема, 'Edm.Boolean')", True),
        ("cast(ТТ_ФактическиеТрудозатраты, 'Edm.String') eq '6'", True),
        ("Соисполнители/any(d: d/Роль eq 'наблюдатель')", True),
        ("Соисполнители/any(d: d/Роль eq 'Руководитель')", False),
        (f"Соисполнители/any(d: d/Пользователь_Key eq guid'{USER}' and d/LineNumber eq 1)", True),
        ("Соисполнители/all(d: d/LineNumber ge 1)", True),
        ("Соисполнители/all(d: d/Роль eq 'Исполнитель')", False),
        ("Соисполнители/any()", True),
        ("Соисполнители/any(d: d/Роль eq 'Исполнитель' and ВидИнтереса eq 'Сервис')", True),
        ("Соисполнители/any(d: Соисполнители/all(x: x/LineNumber ge d/LineNumber))", True),
        ("Тема eq ''') or true or ('''", False),  # an injection attempt stays one literal
        ("(" * 300 + "Posted" + ")" * 300, True),
        ("Тема   eq\t'Не печатает счёт-фактуру'\n", True),
    ],
)
def test_valid_filters_match_like_1c(text: str, expected: bool) -> None:
    assert matches(text) is expected


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("length(Тема) eq 5", "21", "length"),
        ("indexof(Тема, 'a') eq 1", "21", "indexof"),
        ("replace(Тема, 'a', 'b') eq 'x'", "21", "replace"),
        ("tolower(Тема) eq 'x'", "21", "tolower"),
        ("toupper(Тема) eq 'X'", "21", "toupper"),
        ("trim(Тема) eq 'x'", "21", "trim"),
        ("floor(ТТ_ФактическиеТрудозатраты) eq 1", "21", "floor"),
        ("ceiling(ТТ_ФактическиеТрудозатраты) eq 1", "21", "ceiling"),
        ("contains(Тема, 'x')", "21", "contains"),
        ("НетТакого eq 1", "10", "НетТакого"),
        ("НетТакого/Description eq 'x'", "10", "НетТакого"),
        ("НетТакого/any(d: d/LineNumber eq 1)", "10", "НетТакого"),
        ("Соисполнители/any(d: Пропало eq 1)", "10", "Пропало"),
        ("Тема eq", "14", "конец"),
        ("Тема eq 'x", "14", "'"),
        ("Тема eq 'x' and", "14", "конец"),
        ("(Тема eq 'x'", "14", "конец"),
        ("Тема eq 'x')", "14", ")"),
        ("Тема eq 'x' mod 2", "14", "mod"),
        ("Тема == 'x'", "14", "="),
        ('Тема eq "x"', "14", '"'),
        ("Тема eq 'a' eq 'b'", "14", "eq"),
        ("", "14", "пустое"),
        ("   ", "14", "пустое"),
        ("'Тема'", "14", "логическим"),
        ("1 add 2", "14", "логическим"),
        ("Тема eq 'x' and 5", "14", "and"),
        ("not 'x'", "14", "not"),
        ("Тема add 'x' eq 1", "14", "add"),
        ("guid'not-a-guid' eq Ref_Key", "14", "guid'not-a-guid'"),
        ("Ref_Key eq guid'8d04ce3c-6360-11e9-dd92-fa163e8ba11'", "14", "guid'"),
        ("Date eq datetime'2024-13-45T00:00:00'", "14", "2024-13-45"),
        ("Date eq datetime'2024-01-01'", "14", "datetime'2024-01-01'"),
        ("Date eq datetime'2024-01-01T00:00:00Z'", "14", "datetime'"),
        ("Date eq datetimeoffset'2024-01-01T00:00:00Z'", "14", "'2024"),
        ("Партнер_Key eq 'abc'", "14", "Партнер_Key"),
        (f"Партнер_Key eq '{PARTNER}'", "14", "guid'"),
        ("year('2024') eq 1", "14", "year"),
        ("substringof(1, Тема)", "14", "substringof"),
        ("substringof('x')", "14", "substringof"),
        ("startswith(Тема, 'a', 'b')", "14", "startswith"),
        ("cast(Тема)", "14", "cast"),
        (f"ДокументОснование gt cast(guid'{BASIS}','Document_Y')", "14", "gt"),
        ("ДокументОснование eq cast('x','Document_Y')", "14", "guid"),
        (f"ДокументОснование eq cast(guid'{BASIS}','НеТип')", "14", "НеТип"),
        ("cast(Тема, 'Edm.Нечто') eq 'x'", "14", "Edm.Нечто"),
        ("isof(Тема)", "14", "isof"),
        ("isof('x', 'Document_Y')", "14", "isof"),
        ("Соисполнители/all()", "14", "all"),
        ("Соисполнители/any(d: 'x')", "14", "any"),
        ("Соисполнители/any(d d/Роль eq 'x')", "14", "d"),
        ("not " * 200 + "Posted", "14", "сложное"),
        (" and ".join(["Posted"] * 200), "14", "сложное"),
    ],
)
def test_refusals_carry_1c_codes_and_russian_messages(text: str, code: str, fragment: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text, has_property=has_property, navigate=navigate)
    assert info.value.code == code
    assert fragment in info.value.message
    assert str(info.value) == info.value.message


def test_hostile_text_inside_a_literal_stays_a_literal() -> None:
    pred = compile_filter("Тема eq ''') or true or ('''")
    assert pred({"Тема": "') or true or ('"}) is True
    assert pred({"Тема": "другое"}) is False


def test_parse_error_names_the_position_of_the_offending_token() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("Тема eq 'x' mod 2")
    assert "позиции 13" in info.value.message


def test_without_has_property_any_name_compiles_and_missing_fields_are_null() -> None:
    assert compile_filter("Никакого eq null")({"Тема": "x"}) is True
    assert compile_filter("Никакого eq 'x'")({"Тема": "x"}) is False


def test_default_navigation_follows_expanded_objects_only() -> None:
    pred = compile_filter("Партнер/Description eq 'ромашка'")
    assert pred({"Партнер": {"Description": "Ромашка"}}) is True
    assert pred({"Партнер_Key": PARTNER}) is False


def test_int64_strings_compare_numerically_not_lexically() -> None:
    pred = compile_filter("LineNumber gt 9")
    assert pred({"LineNumber": "10"}) is True
    assert pred({"LineNumber": "9"}) is False
    assert pred({"LineNumber": "abc"}) is False


def test_values_of_the_wrong_type_never_match_and_never_raise() -> None:
    pred = compile_filter("Поле gt 1 or Поле add 1 eq 2 or substringof('a', Поле) or year(Поле) eq 1")
    for value in (None, True, "текст", [1, 2], {"a": 1}, 1e308, -(10**400), "1" * 5000):
        assert pred({"Поле": value}) in (True, False)
    assert pred({"Поле": True}) is False


def test_lambda_over_something_that_is_not_a_section_is_false() -> None:
    pred = compile_filter("ТЧ/any(d: d/x eq 1) or ТЧ/all(d: d/x eq 1)")
    assert pred({"ТЧ": "строка"}) is False
    assert pred({}) is False
    assert compile_filter("ТЧ/all(d: d/x eq 1)")({"ТЧ": []}) is True


def test_predicate_is_reusable_across_many_entities() -> None:
    pred = compile_filter("Тема eq 'x' and Дата ge datetime'2024-01-01T00:00:00'")
    rows = [{"Тема": "X" if i % 3 else "y", "Дата": f"202{i % 6}-06-01T00:00:00"} for i in range(600)]
    expected = [r for r in rows if r["Тема"] == "X" and r["Дата"] >= "2024"]
    assert [r for r in rows if pred(r)] == expected
    assert len(expected) == 200


SAMPLE = {"Тема": "x", "Число": 5, "Флаг": True, "Дата": "2024-01-01T00:00:00", "ТЧ": [{"a": 1}], "Нул": None}
SAMPLE_TYPES = {"Тема": "Edm.String", "Число": "Edm.Double", "Флаг": "Edm.Boolean", "Дата": "Edm.DateTime"}
_ALPHABET = st.sampled_from(
    list("()',/:-_ .%0123456789eqandortTzZ")
    + ["eq", "ne", "and", "or", "not", "add", "div", "guid'", "datetime'", "Тема", "Число", "Флаг", "Дата"]
    + ["ТЧ", "any(", "all(", "substringof(", "like(", "cast(", "isof(", "year(", "length(", "null", "true"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_ALPHABET, max_size=25).map(" ".join)))
def test_any_text_compiles_or_raises_filter_error(text: str) -> None:
    try:
        pred = compile_filter(text, has_property=lambda name: name in SAMPLE, property_type=SAMPLE_TYPES.get)
    except FilterError as exc:
        assert exc.code in {"10", "14", "21"}
        assert exc.message
        return
    assert pred(SAMPLE) in (True, False)
    assert pred({}) in (True, False)
