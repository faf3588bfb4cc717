"""Small pieces of request handling that the project's settings name."""

import contextlib
from contextvars import ContextVar

from django.conf import settings
from django.db import OperationalError, connections
from django.shortcuts import render
from django.utils.cache import patch_cache_control

_pinned = ContextVar("pinned_to_primary", default=False)

PRIVATE_PREFIXES = ("/admin/",)


def pinned_to_primary():
    return _pinned.get()


class PinToPrimaryMiddleware:
    """Requests that write, and everything in the admin, read from the primary database.

    An editor who saves a record then sees it at once, whatever the replica's lag.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pin = request.method not in ("GET", "HEAD") or request.path.startswith(PRIVATE_PREFIXES)
        token = _pinned.set(pin)
        try:
            return self.get_response(request)
        finally:
            _pinned.reset(token)


class PublicCacheMiddleware:
    """Let browsers and CDNs keep public pages and downloads for a short while.

    Only successful GETs outside the admin that did not touch the session or set a cookie;
    ConditionalGetMiddleware adds the ETag they revalidate with.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not request.path.startswith(PRIVATE_PREFIXES)
            and not response.has_header("Cache-Control")
            and not response.cookies
            and not (session is not None and session.accessed)
        ):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        return response


def client_ip(request):
    """The client's address for rate limits: REMOTE_ADDR, or the address PROXY_COUNT proxies saw."""
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if settings.PROXY_COUNT and len(forwarded) >= settings.PROXY_COUNT:
        return forwarded[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "")


class PublicReadTimeoutMiddleware:
    """On PostgreSQL, a statement of a public read (a GET outside the admin) that runs longer than
    PUBLIC_STATEMENT_TIMEOUT milliseconds is cancelled, and the reader gets a 503 page asking to
    try again, rather than a worker held for as long as the query takes. Writes and the admin
    have no limit. A streamed download's rows are read after the response starts: without it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.PUBLIC_STATEMENT_TIMEOUT
        public = request.method in ("GET", "HEAD") and not request.path.startswith(PRIVATE_PREFIXES)
        limited = [c for c in connections.all(initialized_only=False) if c.vendor == "postgresql"]
        if not (limit and public and limited):
            return self.get_response(request)
        for connection in limited:
            connection.ensure_connection()
            connection.connection.execute(f"SET statement_timeout = {int(limit)}")
        try:
            return self.get_response(request)
        finally:
            for connection in limited:
                if connection.connection is not None and not connection.connection.closed:
                    # In an aborted transaction the setting goes with the transaction's end.
                    with contextlib.suppress(Exception):
                        connection.connection.execute("SET statement_timeout = 0")

    def process_exception(self, request, exception):
        cause = getattr(exception, "__cause__", None)
        if isinstance(exception, OperationalError) and type(cause).__name__ == "QueryCanceled":
            response = render(request, "503.html", status=503)
            response["Retry-After"] = "30"
            return response
        return None
