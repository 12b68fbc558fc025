"""The single error type raised by domain rules.

The web layer translates by ``code``; ``message`` is a plain English fallback.
"""


class DomainError(ValueError):
    """A rule violation with a stable machine ``code`` and the offending ``field``."""

    code: str
    message: str
    field: str | None

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, field={self.field!r})"
