"""What the probe found, and the pure rules that decide what counts (no Django, no network).

A server error is any 5xx, any request that got no answer, and any answer under /api/ that is
not JSON. A leak is an answer to cooperative A's caller that shows cooperative B's data (one of
B's marker strings in the body, or a file download of one of B's records), or any change to B's
books made while only A's callers were speaking. Double posts and overdrafts are counted from
the database after the concurrent run (see race.py).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXCERPT = 160
MAX_ROUTES_SHOWN = 4
_TOKEN = re.compile(r"kd_[A-Za-z0-9_-]{20,}")


@dataclass
class Reply:
    status: int  # 0: no answer (connection refused, reset or timed out)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    cookies: dict[str, str] = field(default_factory=dict)  # set by this answer
    error: str = ""  # the client-side exception when status is 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def excerpt(self, size: int = EXCERPT) -> str:
        text = self.body[:size].decode("utf-8", "replace")
        return " ".join(text.split()) or self.error


@dataclass
class Sent:
    """A request as sent, enough to reproduce it."""

    method: str
    path: str  # with the query string
    template: str  # the route it exercises, e.g. /api/v1/members/{member_id}
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    caller: str = ""  # e.g. alfa/teller, alfa/member, anonymous

    def describe(self, size: int = 200) -> str:
        shown = {}
        for name, value in self.headers.items():
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            if name.lower() == "authorization":
                text = _TOKEN.sub(f"<token of {self.caller or '?'}>", text)
            shown[name] = text if len(text) <= 80 else text[:60] + f"...({len(text)} chars)"
        body = "" if self.body is None else f" body={self.body[:size]!r}"
        return f"{self.method} {self.path} headers={shown}{body}"


def is_json_answer(reply: Reply) -> bool:
    if reply.content_type != "application/json":
        return False
    return reply.json() is not None or reply.body.strip() == b"null"


def server_error_kind(path: str, reply: Reply) -> str | None:
    """Why this answer is a server error, or None when it is not one."""
    if reply.status == 0:
        return "no answer"
    if reply.status >= 500:
        return f"{reply.status}"
    if path.startswith("/api/") and reply.status != 204 and not is_json_answer(reply):
        return f"{reply.status} not JSON ({reply.content_type or 'no content type'})"
    return None


def standard_error_shape(reply: Reply) -> bool:
    """{"detail": [{"field", "code", "message"}, ...]}: the API's one error shape."""
    body = reply.json()
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return False
    return all(
        isinstance(i, dict) and {"field", "code", "message"} <= set(i) for i in body["detail"]
    )


def revealed_marker(body: bytes, markers: list[bytes]) -> bytes | None:
    """The first of the other cooperative's marker strings that this body shows."""
    lowered = body.lower()
    for marker in markers:
        if marker.lower() in lowered:
            return marker
    return None


DOWNLOAD_TYPES = ("application/pdf", "application/vnd.", "text/csv", "application/octet-stream")


def is_download(reply: Reply) -> bool:
    return reply.content_type.startswith(DOWNLOAD_TYPES)


class Findings:
    """Every problem found, deduplicated for the report; safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.server_errors: dict[tuple[str, ...], dict[str, Any]] = {}
        self.leaks: list[dict[str, Any]] = []
        self.double_posts: list[dict[str, Any]] = []
        self.overdrafts: list[dict[str, Any]] = []
        self.notes: dict[str, int] = {}
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.coverage: dict[str, str] = {}
        self.check_ok: bool | None = None
        self.check_output = ""

    def count(self, phase: str, reply: Reply) -> None:
        with self._lock:
            self.requests[phase] += 1
            self.statuses[f"{phase} {reply.status}"] += 1

    def server_error(self, phase: str, sent: Sent, reply: Reply, kind: str, cause: str) -> None:
        key = (sent.method, sent.template, kind, cause or reply.excerpt(60))
        with self._lock:
            entry = self.server_errors.get(key)
            if entry is None:
                self.server_errors[key] = {
                    "phase": phase,
                    "method": sent.method,
                    "route": sent.template,
                    "status": reply.status,
                    "kind": kind,
                    "cause": cause,
                    "body": reply.excerpt(),
                    "request": sent.describe(),
                    "times": 1,
                }
            else:
                entry["times"] += 1

    def leak(self, phase: str, what: str, sent: Sent | None, reply: Reply | None) -> None:
        with self._lock:
            self.leaks.append(
                {
                    "phase": phase,
                    "what": what,
                    "request": sent.describe() if sent else "",
                    "status": reply.status if reply else None,
                    "body": reply.excerpt() if reply else "",
                }
            )

    def note(self, text: str) -> None:
        with self._lock:
            self.notes[text] = self.notes.get(text, 0) + 1

    def totals(self) -> dict[str, int]:
        return {
            "server_errors": len(self.server_errors),
            "leaks": len(self.leaks),
            "double_posts": len(self.double_posts),
            "overdrafts": len(self.overdrafts),
        }

    def failed(self) -> bool:
        return any(self.totals().values()) or self.check_ok is not True

    def summary_line(self) -> str:
        t = self.totals()
        check = {True: "OK", False: "FAILED", None: "NOT-RUN"}[self.check_ok]
        return (
            f"server_errors={t['server_errors']} leaks={t['leaks']} "
            f"double_posts={t['double_posts']} overdrafts={t['overdrafts']} check={check}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary_line(),
            "totals": self.totals(),
            "check_ok": self.check_ok,
            "check_output": self.check_output,
            "server_errors": list(self.server_errors.values()),
            "leaks": self.leaks,
            "double_posts": self.double_posts,
            "overdrafts": self.overdrafts,
            "notes": self.notes,
            "requests": dict(self.requests),
            "statuses": dict(sorted(self.statuses.items())),
            "coverage": self.coverage,
        }

    def report(self, write: Any = print) -> None:
        """Every distinct problem (server errors grouped by what went wrong), then the counts
        per phase."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for e in self.server_errors.values():
            groups.setdefault((e["kind"], e["cause"] or e["body"][:60]), []).append(e)
        for (kind, _sig), entries in groups.items():
            first = entries[0]
            times = sum(e["times"] for e in entries)
            write(f"SERVER ERROR {kind}: {len(entries)} distinct (method, route), {times} answers")
            if first["cause"]:
                write(f"    cause:   {first['cause']}")
            write(f"    body:    {first['body']}")
            for e in entries[:MAX_ROUTES_SHOWN]:
                write(f"    - [{e['phase']}] {e['method']} {e['route']} e.g. {e['request']}")
            rest = [f"{e['method']} {e['route']}" for e in entries[MAX_ROUTES_SHOWN:]]
            if rest:
                write(f"    - also: {', '.join(rest)}")
        for leak in self.leaks:
            write(f"LEAK [{leak['phase']}] {leak['what']}")
            if leak["request"]:
                write(f"    request: {leak['request']} -> {leak['status']}")
                write(f"    body:    {leak['body']}")
        for item in self.double_posts:
            write(f"DOUBLE POST {item}")
        for item in self.overdrafts:
            write(f"OVERDRAFT {item}")
        for text, times in sorted(self.notes.items()):
            write(f"note: {text} (x{times})")
        for phase, n in self.requests.items():
            write(f"{phase}: {n} requests, {self.coverage.get(phase, '')}")
