"""Who is on the other end of a request: the address that login throttling (django-axes) locks
and that the audit log records.

Without a reverse proxy that is REMOTE_ADDR. Behind one, REMOTE_ADDR is the proxy's own address
for every user, so one person's five wrong passwords would lock that user name for everyone;
with settings.KOPERASI_PROXY_COUNT = n (the number of proxies in front, KOPERASI_PROXY_COUNT in
the environment) the client is the n-th address from the right of X-Forwarded-For. Each proxy
appends the address it received the request from; anything further left was written by the
client itself and proves nothing. No other header (X-Real-IP, Forwarded) is read.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "KOPERASI_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote  # not through the expected proxies: the peer is all we know
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # a proxy that writes names or ports: do not store what is not an address
