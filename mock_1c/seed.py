"""Deterministic seed data: a Russian IT-services company's 1C:CRM, sized by scale or counts.

The same seed and counts always give the same base (GUIDs included). Reference data that
mapping files name (work types, states, departments, the exchange-plan node) has GUIDs that do
not depend on the seed at all: ``stable_ref(set, name)``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mock_1c.schema import CLOSING_DATE, EMPTY_REF, ENTITY_SETS, EXCHANGE_PLAN, UNDEFINED_TYPE

SCALES: dict[str, tuple[int, int, int, int]] = {
    "small": (50, 5, 40, 12),
    "medium": (2_000, 100, 1_500, 60),
    "large": (20_000, 1_000, 10_000, 500),
}
ANCHOR = datetime(2026, 6, 30, 18, 0, 0)
CLOSING_DATE_VALUE = "2025-12-31T00:00:00"
NODE_CODE = "TT"
EMAIL_DOMAIN = "vektor-it.ru"
_NS = uuid.UUID("6f1c0c1e-1c00-4c1c-8c1c-0000000001c8")

WORK_TYPES = (
    "Консультация",
    "Разработка",
    "Внедрение",
    "Коммерческая деятельность",
    "Администрирование",
    "Самообучение",
    "Перерыв",
)
GOODS = ("Лицензия 1С:CRM КОРП", "Сервер 1С:Предприятие 8.3")
SERVICES = ("Абонентское обслуживание", "Обновление конфигурации")
STATES = (
    ("Новый", False),
    ("В работе", False),
    ("Ожидает клиента", False),
    ("Успешно завершен", True),
    ("Отказ", True),
)
DEPARTMENTS = ("Сервисный отдел", "Проектный отдел", "Отдел продаж")

_LAST_M = (
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Соколов",
    "Попов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Зайцев",
)
_LAST_F = (
    "Иванова",
    "Петрова",
    "Смирнова",
    "Кузнецова",
    "Соколова",
    "Попова",
    "Лебедева",
    "Козлова",
    "Новикова",
    "Морозова",
)
_FIRST_M = (
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
)
_FIRST_F = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Екатерина", "Ирина", "Юлия", "Светлана")
_PATR_M = ("Александрович", "Сергеевич", "Викторович", "Игоревич", "Олегович", "Петрович")
_PATR_F = ("Александровна", "Сергеевна", "Викторовна", "Игоревна", "Олеговна", "Петровна")
_ORG_A = (
    "Альфа",
    "Вектор",
    "Гранит",
    "Дельта",
    "Меридиан",
    "Орион",
    "Прогресс",
    "Сфера",
    "Техно",
    "Север",
    "Ладога",
    "Восток",
)
_ORG_B = ("Строй", "Торг", "Логистик", "Софт", "Мед", "Агро", "Энерго", "Пром", "Сервис", "Маркет")
_ORG_FORM = ("ООО", "АО", "ООО", "ИП", "ПАО")
_SERVICE_SUBJ = (
    "Не проводится документ «{}»",
    "Ошибка при обмене с сайтом: {}",
    "Настроить права доступа для отдела «{}»",
    "Доработать печатную форму «{}»",
    "Консультация по закрытию месяца ({})",
    "Медленно открывается журнал «{}»",
)
_SALES_SUBJ = (
    "Внедрение 1С:CRM для {}",
    "Продление подписки ИТС, {}",
    "Коммерческое предложение на лицензии ({})",
    "Пилотный проект автоматизации продаж: {}",
)
_OBJECTS = (
    "Реализация товаров",
    "Счет на оплату",
    "Заказ покупателя",
    "Поступление товаров",
    "Бухгалтерия",
    "Склад",
)
_TASK_VERBS = ("настройка", "доработка", "тестирование", "перенос данных", "обучение пользователей")
_ROLES = ("Исполнитель", "Консультант", "Наблюдатель")
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)


def stable_ref(entity_set: str, name: str) -> str:
    """A GUID for reference data that is the same for every seed (mapping files can name it)."""
    return str(uuid.uuid5(_NS, f"{entity_set}/{name}"))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower()).replace("_", "")


def user_email(index: int, last: str, first: str) -> tuple[str, str]:
    """(CRM_ЕмейлДляСинхронизации, contact-info address) of the index-th seeded user.

    The scheme (documented in mock_1c/README.md): ``<first>.<last>@vektor-it.ru``; index % 10
    in 0..5 → both fields, lower case; 6, 7 → only the contact information; 8 → both, upper-case
    in the sync field and capitalised in the contact information; 9 → no e-mail at all.
    """
    addr = f"{translit(first)}.{translit(last)}{index}@{EMAIL_DOMAIN}"
    kind = index % 10
    if kind <= 5:
        return addr, addr
    if kind in (6, 7):
        return "", addr
    if kind == 8:
        return addr.upper(), addr.capitalize()
    return "", ""


@dataclass
class SeedCounts:
    interests: int
    projects: int
    tasks: int
    users: int

    @classmethod
    def for_scale(cls, scale: str, **overrides: int | None) -> SeedCounts:
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
        counts = cls(*SCALES[scale])
        for k, v in overrides.items():
            if v is not None:
                if v < 0:
                    raise ValueError(f"--{k} must be ≥ 0, got {v}")
                setattr(counts, k, v)
        return counts


def _dt(d: datetime | date) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%S")


class _Seeder:
    def __init__(self, seed: int, counts: SeedCounts) -> None:
        self.rnd = random.Random(seed)
        self.counts = counts
        self.sets: dict[str, dict[str, dict[str, object]]] = {name: {} for name in ENTITY_SETS}

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))

    def add(self, set_name: str, values: dict[str, object], ref: str | None = None) -> str:
        entity = ENTITY_SETS[set_name].blank()
        entity.update(values)
        key = ref or self.guid()
        entity["Ref_Key"] = key
        for table, rows in list(entity.items()):
            if table in ENTITY_SETS[set_name].tables:
                assert isinstance(rows, list)
                rows[:] = [{"Ref_Key": key, "LineNumber": str(n), **row} for n, row in enumerate(rows, 1)]
        self.sets[set_name][key] = entity
        return key

    def code(self, set_name: str, text: str) -> str:
        return text.ljust(ENTITY_SETS[set_name].code_length)

    def run(self) -> dict[str, dict[str, dict[str, object]]]:
        c = self.counts
        deps = [
            self.add(
                "Catalog_СтруктурныеЕдиницы",
                {"Description": d, "Code": self.code("Catalog_СтруктурныеЕдиницы", f"{i:09d}")},
                stable_ref("Catalog_СтруктурныеЕдиницы", d),
            )
            for i, d in enumerate(DEPARTMENTS, 1)
        ]
        states = {}
        for i, (name, done) in enumerate(STATES, 1):
            states[name] = self.add(
                "Catalog_CRM_СостоянияИнтересов",
                {"Description": name, "Завершен": done, "Code": f"{i:09d}"},
                stable_ref("Catalog_CRM_СостоянияИнтересов", name),
            )
        for i, name in enumerate(WORK_TYPES + SERVICES + GOODS, 1):
            self.add(
                "Catalog_Номенклатура",
                {"Description": name, "ЭтоУслуга": name not in GOODS, "Code": f"00-{i:08d}"},
                stable_ref("Catalog_Номенклатура", name),
            )
        self.add(
            EXCHANGE_PLAN,
            {
                "Code": self.code(EXCHANGE_PLAN, NODE_CODE),
                "Description": "Трекер рабочего времени",
                "SentNo": "0",
                "ReceivedNo": "0",
            },
            stable_ref(EXCHANGE_PLAN, NODE_CODE),
        )
        self.sets[CLOSING_DATE]["Value"] = {"Value": CLOSING_DATE_VALUE}
        users = self.people(c.users, deps)
        customers = self.customers(max(5, c.interests // 8 + c.projects))
        self.interests(c.interests, users, customers, states)
        self.projects(c.projects, c.tasks, users, customers)
        return self.sets

    def people(self, n: int, deps: list[str]) -> list[str]:
        users = []
        for i in range(n):
            female = self.rnd.random() < 0.4
            last = self.rnd.choice(_LAST_F if female else _LAST_M)
            first = self.rnd.choice(_FIRST_F if female else _FIRST_M)
            patr = self.rnd.choice(_PATR_F if female else _PATR_M)
            full = f"{last} {first} {patr}"
            person = self.add(
                "Catalog_ФизическиеЛица",
                {
                    "Description": full,
                    "Code": f"{i + 1:09d}",
                    "ДатаРождения": _dt(
                        date(
                            1970 + self.rnd.randrange(35),
                            1 + self.rnd.randrange(12),
                            1 + self.rnd.randrange(28),
                        )
                    ),
                },
            )
            sync, contact = user_email(i, last, first)
            ci = (
                [{"Тип": "АдресЭлектроннойПочты", "АдресЭП": contact, "Представление": contact}]
                if contact
                else []
            )
            if i % 3 == 0:
                ci.append(
                    {
                        "Тип": "Телефон",
                        "АдресЭП": "",
                        "Представление": self.phone(),
                    }
                )
            users.append(
                self.add(
                    "Catalog_Пользователи",
                    {
                        "Description": full,
                        "ФизическоеЛицо_Key": person,
                        "Подразделение_Key": deps[i % 3],
                        "Недействителен": i % 17 == 16,
                        "CRM_ЕмейлДляСинхронизации": sync,
                        "КонтактнаяИнформация": ci,
                    },
                )
            )
            self.add(
                "Catalog_Сотрудники",
                {
                    "Description": full,
                    "Code": f"{i + 1:09d}",
                    "ФизическоеЛицо_Key": person,
                    "Недействителен": i % 17 == 16,
                    "ВАрхиве": False,
                },
            )
        self.add(
            "Catalog_Пользователи",
            {"Description": "Интегратор", "Служебный": True},
            stable_ref("Catalog_Пользователи", "Интегратор"),
        )
        return users

    def phone(self) -> str:
        r = self.rnd
        return f"+7 (495) {r.randrange(100, 999)}-{r.randrange(10, 99)}-{r.randrange(10, 99)}"

    def customers(self, n: int) -> list[str]:
        out = []
        for i in range(n):
            name = f"{self.rnd.choice(_ORG_FORM)} «{self.rnd.choice(_ORG_A)}{self.rnd.choice(_ORG_B)}»"
            out.append(
                self.add(
                    "Catalog_Контрагенты",
                    {
                        "Description": name,
                        "Code": f"00-{i + 1:06d}",
                        "ИНН": str(self.rnd.randrange(10**9, 10**10)),
                    },
                )
            )
        return out

    def interests(self, n: int, users: list[str], customers: list[str], states: dict[str, str]) -> None:
        rnd = self.rnd
        state_names = list(states)
        span = 365 * 24 * 3600
        for i in range(n):
            when = ANCHOR - timedelta(seconds=int(span * (n - i) / max(n, 1)))
            customer = rnd.choice(customers)
            cust_name = self.sets["Catalog_Контрагенты"][customer]["Description"]
            service = rnd.random() < 0.6
            state = rnd.choices(state_names, weights=(3, 4, 2, 4, 1))[0]
            values: dict[str, object] = {
                "Number": f"CRM-{i + 1:06d}",
                "Date": _dt(when),
                "Posted": True,
                "ВидИнтереса": "Сервис" if service else "Продажа",
                "Партнер_Key": customer,
                "Ответственный_Key": rnd.choice(users) if users else EMPTY_REF,
                "Состояние_Key": states[state],
                "ТТ_СогласованныеТрудозатраты": rnd.choice((0, 1, 2, 4, 8, 16, 40)),
            }
            if service:
                subject = rnd.choice(_SERVICE_SUBJ).format(rnd.choice(_OBJECTS))
                sender = f"info@{translit(str(cust_name).split('«')[-1].rstrip('»'))}.ru"
                text = f"Добрый день! {subject}. Просим помочь как можно скорее. С уважением, {cust_name}"
                mail = self.add(
                    "Document_ЭлектронноеПисьмоВходящее",
                    {
                        "Number": f"ЭП-{i + 1:06d}",
                        "Date": _dt(when),
                        "Posted": False,
                        "Тема": subject,
                        "Текст": text,
                        "ОтправительАдрес": sender,
                        "ДатаПолучения": _dt(when),
                    },
                )
                values.update(
                    Тема=subject,
                    Содержание=text,
                    ДокументОснование=mail,
                    ДокументОснование_Type="StandardODATA.Document_ЭлектронноеПисьмоВходящее",
                )
            else:
                subject = rnd.choice(_SALES_SUBJ).format(cust_name)
                values.update(
                    Тема=subject,
                    Содержание=f"Клиент интересуется: {subject.lower()}.",
                    ДокументОснование="",
                    ДокументОснование_Type=UNDEFINED_TYPE,
                )
            if users and rnd.random() < 0.3:
                values["Соисполнители"] = [
                    {"Пользователь_Key": rnd.choice(users), "Роль": rnd.choice(_ROLES)}
                ]
            self.add("Document_CRM_Интерес", values)

    def projects(self, n: int, n_tasks: int, users: list[str], customers: list[str]) -> None:
        rnd = self.rnd
        per = [n_tasks // n + (1 if i < n_tasks % n else 0) for i in range(n)] if n else []
        task_no = 0
        for i in range(n):
            customer = rnd.choice(customers)
            start = ANCHOR.date() - timedelta(days=rnd.randrange(20, 300))
            done = rnd.random() < 0.2
            proj = self.add(
                "Catalog_Проекты",
                {
                    "Code": self.code("Catalog_Проекты", f"ПР-{i + 1:04d}"),
                    "Description": "Внедрение 1С:CRM — "
                    + str(self.sets["Catalog_Контрагенты"][customer]["Description"]),
                    "Контрагент_Key": customer,
                    "Ответственный_Key": rnd.choice(users) if users else EMPTY_REF,
                    "ДатаНачала": _dt(start),
                    "ДатаОкончания": _dt(start + timedelta(days=120)),
                    "Завершен": done,
                },
            )
            stages = []
            for s, title in enumerate(
                ("Обследование", "Настройка и доработка", "Обучение и запуск")[
                    : 1 + per[i] // 4 if per[i] else 0
                ]
            ):
                task_no += 1
                stages.append(
                    self.add(
                        "Catalog_ЗадачиПроектов",
                        {
                            "Owner_Key": proj,
                            "IsFolder": True,
                            "Code": f"{task_no:09d}",
                            "Description": f"{s + 1}. {title}",
                        },
                    )
                )
            for t in range(per[i]):
                task_no += 1
                team = rnd.sample(users, k=min(len(users), rnd.randint(1, 3))) if users else []
                team_hours = [(u, rnd.choice((2, 4, 8, 12, 16))) for u in team]
                rows = [{"Пользователь_Key": u, "ПлановыеТрудозатраты": h} for u, h in team_hours]
                begin = start + timedelta(days=rnd.randrange(0, 90))
                stage = rnd.choice(
                    ("Запланирована", "Выполняется", "Выполнена", "Проверена") if not done else ("Проверена",)
                )
                self.add(
                    "Catalog_ЗадачиПроектов",
                    {
                        "Owner_Key": proj,
                        "Parent_Key": stages[t % len(stages)] if stages else EMPTY_REF,
                        "Code": f"{task_no:09d}",
                        "Description": f"{rnd.choice(_OBJECTS)}: {rnd.choice(_TASK_VERBS)}",
                        "Стадия": stage,
                        "Исполнитель_Key": team[0] if team else EMPTY_REF,
                        "ПлановаяДатаНачала": _dt(begin),
                        "ПлановаяПродолжительность": rnd.randint(1, 10),
                        "ДатаОкончания": _dt(begin + timedelta(days=10))
                        if stage in ("Выполнена", "Проверена")
                        else "0001-01-01T00:00:00",
                        "ПроцентВыполнения": {
                            "Запланирована": 0,
                            "Выполняется": 50,
                            "Выполнена": 100,
                            "Проверена": 100,
                        }[stage],
                        "Закрыта": stage == "Проверена",
                        "ПлановыеТрудозатраты": sum(hours for _, hours in team_hours),
                        "Участники": rows,
                    },
                )


def generate(seed: int, counts: SeedCounts) -> dict[str, dict[str, dict[str, object]]]:
    """The seeded base: entity set → key → entity in OData-JSON shape (without DataVersion)."""
    return _Seeder(seed, counts).run()
