"""The client address of the request being served, so services can audit without a request."""

from contextvars import ContextVar

# None when the request has no address (set by audit.middleware).
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
