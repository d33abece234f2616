"""1C's error taxonomy: one exception every channel raises and each renders its own way.

OData renders it as ``{"odata.error": …}`` (or ``<m:error>``) with the HTTP status 1C uses
for the code; SOAP renders it as a Fault; admin endpoints as JSON.
"""

from __future__ import annotations

STATUS_BY_CODE: dict[str, int] = {
    "0": 501,
    "1": 400,
    "2": 400,
    "3": 501,
    "4": 400,
    "5": 400,
    "6": 404,
    "7": 400,
    "8": 404,
    "9": 404,
    "10": 404,
    "11": 404,
    "12": 400,
    "13": 400,
    "14": 400,
    "15": 400,
    "16": 400,
    "17": 400,
    "18": 400,
    "19": 405,
    "20": 401,
    "21": 400,
    "-1": 500,
}


class OneCError(Exception):
    """An error as 1C reports it: a code (string, as in the error body) and a Russian message."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_BY_CODE.get(code, 400)


class PreconditionFailed(OneCError):
    """If-Match did not match the object's DataVersion (HTTP 412)."""

    def __init__(self) -> None:
        super().__init__("-1", "Версия объекта не совпадает с переданной в заголовке If-Match.", 412)


def not_found(entity_set: str, key: str) -> OneCError:
    return OneCError("9", f'Экземпляр сущности "{entity_set}" не найден по переданному ключу ({key}).')


def unknown_set(name: str) -> OneCError:
    return OneCError("8", f'Тип сущности "{name}" не найден.')
