"""PIDF-LO by reference (RFC 6442 §4.1, RFC 6753 GET dereference): fetch the caller's location from a URI.

The URI comes from the caller's network (the INVITE's ``Geolocation`` header), so the fetch is bounded in every
way: only ``http``/``https`` (a ``sip:``/``pres:`` reference needs a SUBSCRIBE ec112 does not do), one short
deadline over the whole exchange, a byte cap enforced while streaming (a location server answering 1 GB, or
trickling bytes forever, costs at most the cap and the deadline), at most a few redirects and never to another
scheme, and the body through the hardened PIDF-LO parser. The location service runs this in a tracked task
after the ticket is open: the intake never waits for it.

Every failure raises ``ReferenceFetchError`` (a ``ValueError``) with a stable ``code``: ``unsupported_scheme``,
``bad_uri``, ``timeout``, ``unreachable``, ``too_many_redirects``, ``bad_redirect``, ``http_<status>``,
``too_large``, ``bad_answer``; or the
parser's ``LocationParseError`` codes (``malformed_xml``, ``forbidden_dtd``, ``no_location``, ...).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from ec112.domain.location import Location, LocationSource
from ec112.location.pidf import parse_pidf_lo

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
_SCHEMES = frozenset({"http", "https"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = "application/pidf+xml, application/xml;q=0.5"


class ReferenceFetchError(ValueError):
    """A location reference that could not be fetched; ``code`` is stable for callers (shown on the ticket)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _checked(uri: str) -> str:
    try:
        parts = urlsplit(uri.strip())
    except ValueError:
        raise ReferenceFetchError("bad_uri", "the reference is not a URI") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise ReferenceFetchError("unsupported_scheme", f"scheme {parts.scheme[:20]!r} is not http/https")
    if not parts.hostname:
        raise ReferenceFetchError("bad_uri", "the reference has no host")
    try:
        httpx.URL(uri.strip())
    except httpx.InvalidURL:
        raise ReferenceFetchError("bad_uri", "the reference is not a URL httpx accepts") from None
    return uri.strip()


class ReferenceFetcher:
    """``await fetcher.fetch(uri)`` → a ``Location`` (source ``pidf-lo-ref``). One client, closed by ``aclose``."""

    def __init__(self, *, timeout: float, max_bytes: int, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._clock = clock
        # No redirects followed by httpx: each hop is checked here. No cookies, no proxy from the environment.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                         transport=transport, trust_env=False,
                                         headers={"Accept": _ACCEPT, "Accept-Encoding": "identity",
                                                  "User-Agent": "ec112"})

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __call__(self, uri: str) -> Location:
        return await self.fetch(uri)

    async def fetch(self, uri: str) -> Location:
        url = _checked(uri)
        try:
            async with asyncio.timeout(self._timeout):
                body = await self._get(url)
        except TimeoutError:
            raise ReferenceFetchError("timeout", f"no complete answer within {self._timeout:g} s") from None
        except httpx.TimeoutException:
            raise ReferenceFetchError("timeout", f"no complete answer within {self._timeout:g} s") from None
        except httpx.UnsupportedProtocol:
            raise ReferenceFetchError("unsupported_scheme", "redirected to a scheme other than http/https") from None
        except httpx.TransportError as exc:
            raise ReferenceFetchError("unreachable", type(exc).__name__) from None
        except httpx.InvalidURL:  # the URI itself passed _checked: httpx refused a redirect target
            raise ReferenceFetchError("bad_redirect", "redirected to a URL that is not one") from None
        except httpx.HTTPError as exc:
            raise ReferenceFetchError("bad_answer", type(exc).__name__) from None
        log.debug("location reference fetched: %s (%d bytes)", url, len(body))  # a URI may identify the caller
        return parse_pidf_lo(body, received_at=self._clock(), source=LocationSource.PIDF_LO_REF)

    async def _get(self, url: str) -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            async with self._client.stream("GET", url) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = _checked(urljoin(url, response.headers["location"]))
                    continue
                if not 200 <= response.status_code < 300:
                    raise ReferenceFetchError(f"http_{response.status_code}",
                                              f"the location server answered {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_bytes:
                    raise ReferenceFetchError("too_large", f"declared {declared} bytes > {self._max_bytes}")
                body = bytearray()
                async for chunk in response.aiter_bytes():  # decoded: the cap holds for a gzip bomb too
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise ReferenceFetchError("too_large", f"more than {self._max_bytes} bytes")
                return bytes(body)
        raise ReferenceFetchError("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")
