"""PIDF-LO by reference: whatever a location server answers (random bytes, XML soup, any status, any size),
``ReferenceFetcher.fetch`` returns a ``Location`` (source pidf-lo-ref) or raises a ``ValueError`` with a stable
``code`` — never another exception. The HTTP exchange is an in-process ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import re

import httpx
from hypothesis import given
from hypothesis import strategies as st

from ec112.domain.location import LocationSource
from ec112.location.by_reference import ReferenceFetcher

from .budget import budget, ran
from .test_fuzz_location import CIRCLE, PIDF, POINT, XML_BITS

MAX_BYTES = 4096
CODES_RE = r"http_\d{3}|[a-z]+(_[a-z]+)*"


def _fetch(status: int, body: bytes, headers: dict[str, str]) -> object:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    async def run() -> object:
        fetcher = ReferenceFetcher(timeout=2.0, max_bytes=MAX_BYTES, transport=httpx.MockTransport(answer))
        try:
            return await fetcher.fetch("https://lis.carrier.example/loc/1")
        except ValueError as exc:
            return exc
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def _check(outcome: object) -> None:
    if isinstance(outcome, ValueError):
        code = getattr(outcome, "code", None)
        assert isinstance(code, str), outcome
        assert re.fullmatch(CODES_RE, code), code
    else:
        assert getattr(outcome, "source", None) is LocationSource.PIDF_LO_REF, outcome


BODIES = st.one_of(
    st.binary(max_size=MAX_BYTES + 200),
    st.lists(XML_BITS, max_size=20).map(lambda bits: "".join(bits).encode()),
    st.builds(lambda pos, radius, method, stamp, circle: PIDF.format(
        shape=(CIRCLE.format(pos=pos, radius=radius) if circle else POINT.format(pos=pos)),
        method=method, stamp=stamp).encode(),
        st.sampled_from(["-1.2 116.5", "91 0", "a b", "-1.2 116.5 3", ""]),
        st.sampled_from(["5", "-1", "nan", ""]), st.text(max_size=20).filter(lambda t: "<" not in t and "&" not in t),
        st.sampled_from(["2026-12-02T10:00:00+08:00", "yesterday", ""]), st.booleans()),
)


@given(st.sampled_from([200, 200, 200, 204, 301, 302, 404, 500, 503]), BODIES,
       st.sampled_from([{}, {"content-type": "application/pidf+xml"}, {"location": "sip:loc@lis.example"},
                        {"location": "/elsewhere"}, {"content-length": "999999999"}]))
@budget()
def test_any_answer_is_a_location_or_a_coded_value_error(status: int, body: bytes, headers: dict[str, str]) -> None:
    ran("location.ReferenceFetcher.fetch(answer)")
    _check(_fetch(status, body, headers))
