"""A tiny stand-in for the connector's task feed (``GET /tracker/v1/tasks``, tracker.md shape).

The mock tracker imports its tasks and employees from a feed; these tests need a known,
small set of tasks without the whole connector, so they serve one here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, HTTPException

FEED_TOKEN = "feed-token-for-tracker-tests"

ASSIGNEES = {
    "ivanov": {"email": "ivanov.i@crm.example", "name": "Иванов Иван Иванович"},
    "petrova": {"email": "petrova.a@crm.example", "name": "Петрова Анна Сергеевна"},
    "sidorov": {"email": "sidorov.p@crm.example", "name": "Сидоров Пётр"},
}


def _task(code: str, title: str, who: list[str], status: str = "open") -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "description": f"{title} (из 1С)",
        "category": "project",
        "customer": "ООО Ромашка",
        "project": "Внедрение",
        "assignees": [ASSIGNEES[name] for name in who],
        "planned_minutes": 600,
        "actual_minutes": 0,
        "overrun": "none",
        "status": status,
        "onec_type": "Document_CRM_Интерес",
        "onec_ref": "00000000-0000-0000-0000-000000000001",
        "onec_url": "e1cib/data/Документ.CRM_Интерес?ref=00000000000000000000000000000001",
        "updated_at": "2025-03-01T09:00:00Z",
    }


FEED_TASKS = [
    _task("CRM-000512", "Внедрение склада", ["ivanov", "petrova"]),
    _task("ИНТ-00042", "Продажа лицензий", ["petrova", "sidorov"]),
    _task("SRV-7", "Поддержка пользователей", ["ivanov", "sidorov"]),
    _task("CRM-000100", "Закрытый проект", ["ivanov"], status="closed"),
]


def feed_app() -> FastAPI:
    app = FastAPI()

    @app.get("/tracker/v1/tasks")
    def tasks(authorization: str = Header(default="")) -> dict[str, Any]:
        if authorization != f"Bearer {FEED_TOKEN}":
            raise HTTPException(status_code=401, detail="unauthorized")
        return {"items": FEED_TASKS, "next_cursor": None}

    return app
