"""AMI MessageSend (text to 112 answers) against the fake Asterisk manager on a real loopback socket."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from fake_ami import FakeAmiServer
from test_ami_client import connected, make_client, running

from ec112.ami.client import AmiClient
from ec112.ami.messages import AmiMessageSender
from ec112.domain.errors import InvalidRequest, Unavailable


@pytest.fixture
async def ami_server() -> AsyncIterator[FakeAmiServer]:
    server = FakeAmiServer()
    await server.start()
    yield server
    await server.stop()


async def test_the_body_goes_as_base64_to_the_citizen_through_the_trunk(ami_server: FakeAmiServer) -> None:
    ami_server.handlers["messagesend"] = lambda _a: [{"Response": "Success", "Message": "Message successfully sent"}]
    client = make_client(ami_server)
    async with running(client):
        await connected(client)
        await AmiMessageSender(client).send("pjsip:trunk/sip:0812@10.0.0.5:5060", "sip:112@ec112",
                                            "Bantuan menuju.\nTetap aman 🚒")
        [(_conn, action)] = ami_server.actions("MessageSend")
    assert (action["To"], action["From"]) == ("pjsip:trunk/sip:0812@10.0.0.5:5060", "sip:112@ec112")
    assert base64.b64decode(action["Base64Body"]).decode() == "Bantuan menuju.\nTetap aman 🚒"
    assert "Body" not in action  # a newline in a plain Body header would end the AMI message early


async def test_a_refusal_and_an_outage_are_domain_errors(ami_server: FakeAmiServer) -> None:
    ami_server.handlers["messagesend"] = lambda _a: [{"Response": "Error", "Message": "Permission denied"}]
    client = make_client(ami_server)
    async with running(client):
        await connected(client)
        with pytest.raises(InvalidRequest, match="Permission denied"):
            await AmiMessageSender(client).send("pjsip:trunk/sip:0812@10.0.0.5:5060", "sip:112@ec112", "x")
    with pytest.raises(Unavailable, match="not reachable"):
        await AmiMessageSender(_never_connected(ami_server)).send("pjsip:trunk/x", "sip:112@ec112", "x")


def _never_connected(server: FakeAmiServer) -> AmiClient:
    return make_client(server)
