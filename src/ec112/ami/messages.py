"""``services.text_to_112.MessageSender`` over AMI: ``MessageSend`` (write class ``message``).

The body goes as ``Base64Body`` (any UTF-8, newlines included, survives the AMI line format); the destination is
``To`` (Asterisk 16 knows no ``Destination`` header; 22 still takes ``To`` alone). ``Success`` means Asterisk
handed the MESSAGE to PJSIP, not that the citizen's phone took it.
"""

from __future__ import annotations

import base64

from ec112.ami.client import AmiActionError, AmiClient, AmiError
from ec112.domain.errors import InvalidRequest, Unavailable


class AmiMessageSender:
    def __init__(self, client: AmiClient) -> None:
        self._client = client

    async def send(self, destination: str, sender: str, body: str) -> None:
        fields = {"To": destination, "From": sender,
                  "Base64Body": base64.b64encode(body.encode("utf-8")).decode("ascii")}
        try:
            await self._client.send("MessageSend", fields)
        except AmiActionError as exc:
            raise InvalidRequest(f"Asterisk refused the message: {exc.message or 'error'}") from exc
        except AmiError as exc:
            raise Unavailable(f"Asterisk is not reachable: {exc}") from exc
