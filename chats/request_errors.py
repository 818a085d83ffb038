"""How a refused chat request is told: an HTTP status, a code, a message and the field at fault."""

from __future__ import annotations

from typing import Any


class ChatRequestError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, **self.extra}
        if self.field:
            error["field"] = self.field
        return {"error": error}


def invalid(code: str, message: str, field: str | None = None) -> ChatRequestError:
    return ChatRequestError(422, code, message, field=field)
