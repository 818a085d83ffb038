"""The one base for refusals a person can act on: a stable `code` and a sentence (`message`).

On the bottom rung of the ladder (with `accounts.text`, the check of incoming text) so that every
app can raise it.

Consumers turn any DomainError into an `error` frame with its code, and the socket stays open
(consumers/base.py); views turn them into `{"error": {"code", "message"}}`.
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message
