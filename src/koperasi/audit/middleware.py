from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from koperasi.audit.client_address import client_address
from koperasi.audit.context import client_ip


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The client's address (through the trusted proxies, if any). No address (behind a unix
        # socket REMOTE_ADDR is empty) is None, never "": the one-statement postings pass it to
        # an inet parameter.
        token = client_ip.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
