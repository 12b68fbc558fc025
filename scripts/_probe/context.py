"""What every phase shares: the client, the server's log, the world and the findings, and the one
way a request is sent and judged."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from _probe.findings import Findings, Reply, Sent, revealed_marker, server_error_kind


@dataclass
class Context:
    client: Any  # server.HttpClient (or any object with the same `request`)
    server: Any  # server.Server, for the exception lines of its log (None: no log)
    world: Any  # world.World
    findings: Findings
    markers: list[bytes]  # texts only cooperative B has

    def send(self, phase: str, sent: Sent, *, sequential: bool = True) -> Reply:
        """Send, then judge: a server error, and (for A's callers) a leak of B's data."""
        reply = self.client.request(sent.method, sent.path, sent.headers, sent.body)
        self.judge(phase, sent, reply, sequential=sequential)
        return reply

    def judge(self, phase: str, sent: Sent, reply: Reply, *, sequential: bool = True) -> None:
        self.findings.count(phase, reply)
        kind = server_error_kind(sent.path, reply)
        if kind is not None:
            cause = ""
            if self.server is not None and sequential:
                time.sleep(0.05)  # the worker writes the traceback before the answer; be safe
                causes = self.server.causes_since_last()
                cause = causes[-1] if causes else ""
            self.findings.server_error(phase, sent, reply, kind, cause)
        if 200 <= reply.status < 300 and sent.caller.startswith("alfa"):
            # A marker the request itself carried (a NIK in an uploaded file) is only an echo.
            asked = (sent.path.encode() + (sent.body or b"")).lower()
            markers = [m for m in self.markers if m.lower() not in asked]
            marker = revealed_marker(reply.body, markers)
            if marker is not None:
                self.findings.leak(
                    phase, f"answer to {sent.caller} shows B's {marker.decode()!r}", sent, reply
                )

    def token(self, caller: str) -> str | None:
        if caller in ("anonymous", ""):
            return None
        if caller == "bogus":
            return "kd_bukan-token-yang-sah"
        return self.world.tokens[caller]
