"""Links placed in the store the way the inbound engine records them, for feed tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from connector.store.links import LinkData, get_link_by_code, set_link_actuals, upsert_employee, upsert_link

PEOPLE = {
    "ivanov": {"email": "ivanov.i@crm.example", "name": "Иванов Иван Иванович"},
    "petrova": {"email": "petrova.a@crm.example", "name": "Петрова Анна Сергеевна"},
    "sidorov": {"email": "sidorov.p@crm.example", "name": "Сидоров Пётр"},
}


def ref(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def put_task(
    sessions: sessionmaker[Session],
    n: int,
    code: str,
    *,
    who: tuple[str, ...] = ("ivanov",),
    status: str = "open",
    title: str | None = None,
    static: bool = False,
    **payload: Any,
) -> None:
    """Create or change the link of object ``n`` (a change bumps its feed position)."""
    people = [PEOPLE[w] for w in who]
    data = LinkData(
        mapping="projects",
        onec_type="" if static else "Document_CRM_Интерес",
        onec_ref=ref(n),
        task_code=code,
        content_hash=f"h-{title}-{status}-{who}",
        status=status,
        category="sales" if static else "project",
        title=title or f"Задача {code}",
        assignees=[p["email"] for p in people],
        planned_minutes=600,
        payload={
            "description": f"Описание {code}",
            "customer": "ООО Ромашка",
            "project": "Внедрение",
            "onec_url": f"e1cib/data/Документ.CRM_Интерес?ref={ref(n).replace('-', '')}",
            "assignees": people,
            "static": static,
            **payload,
        },
    )
    with sessions() as session:
        upsert_link(session, data)
        session.commit()


def set_actuals(sessions: sessionmaker[Session], code: str, minutes: int, overrun: str) -> None:
    with sessions() as session:
        link = get_link_by_code(session, code)
        assert link is not None
        set_link_actuals(session, link, minutes, overrun)
        session.commit()


def put_employee(sessions: sessionmaker[Session], n: int, email: str, name: str, tracker_id: str) -> None:
    with sessions() as session:
        upsert_employee(
            session,
            onec_user_ref=ref(9000 + n),
            email=email,
            name=name,
            how_matched="email",
            tracker_employee_id=tracker_id,
            onec_employee_ref=ref(8000 + n),
        )
        session.commit()
