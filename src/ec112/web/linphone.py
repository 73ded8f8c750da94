"""Linphone's remote provisioning file (the XML form of ``linphonerc``, namespace ``lpconfig.xsd``) for one
account, and its QR code.

Linphone's assistant ("Fetch remote configuration" / "Scan QR code") takes a URL; the QR code holds that URL, and
the file behind it holds the account: ``proxy_0`` (identity, proxy with its transport) and ``auth_info_0`` (the
credentials). Sections are written with ``overwrite="true"`` so a phone provisioned twice holds one account.
"""

from __future__ import annotations

import segno
from lxml import etree

from ec112.domain.softphones import SoftphoneAccount

LPCONFIG_NS = "http://www.linphone.org/xsds/lpconfig.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
REGISTER_EXPIRES = 3600


def _section(root: etree._Element, name: str, entries: dict[str, str]) -> None:
    section = etree.SubElement(root, f"{{{LPCONFIG_NS}}}section", name=name, overwrite="true")
    for key, value in entries.items():
        entry = etree.SubElement(section, f"{{{LPCONFIG_NS}}}entry", name=key, overwrite="true")
        entry.text = value


def provisioning_xml(account: SoftphoneAccount) -> bytes:
    """The provisioning file of ``account`` (which must have its password)."""
    site = account.site
    scheme = "sips" if site.transport == "tls" else "sip"
    proxy = f"<{scheme}:{site.server};transport={site.transport}>"
    identity = f"<{scheme}:{account.endpoint}@{site.domain}>"
    if account.display_name:
        identity = '"' + account.display_name.replace("\\", "").replace('"', "") + '" ' + identity
    # The default namespace is keyed by None (lxml), which lxml-stubs does not type.
    root = etree.Element(f"{{{LPCONFIG_NS}}}config", nsmap={None: LPCONFIG_NS, "xsi": _XSI})  # type: ignore[dict-item]
    root.set(f"{{{_XSI}}}schemaLocation", f"{LPCONFIG_NS} lpconfig.xsd")
    sip = {"default_proxy": "0"}
    if site.srtp:
        sip |= {"media_encryption": "srtp", "media_encryption_mandatory": "1"}
    _section(root, "sip", sip)
    _section(root, "proxy_0", {"reg_identity": identity, "reg_proxy": proxy, "reg_route": proxy,
                               "reg_expires": str(REGISTER_EXPIRES), "reg_sendregister": "1", "publish": "0"})
    _section(root, "auth_info_0", {"username": account.endpoint, "userid": account.endpoint,
                                   "passwd": account.password or "", "domain": site.domain})
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def qr_svg(url: str) -> str:
    """The URL as an inline SVG QR code (scales with CSS: a viewBox, no fixed size)."""
    return str(segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, svgclass="sp-qr-code"))
