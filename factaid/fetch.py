"""Fetching a URL under a strict policy: http(s) only, public addresses only, capped size and time.

Every redirect hop is checked again, so a public page cannot bounce the fetch to a private address
(server-side request forgery). Every failure is a one-line ``FetchError`` naming the URL and the reason.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from urllib.parse import urljoin, urlsplit

from .errors import FetchError

MAX_FETCH_BYTES = 5_000_000  # largest HTTP body read, enforced while streaming
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0  # per socket read
TOTAL_TIMEOUT = 30.0  # whole download, so a server trickling bytes cannot hold us forever
MAX_REDIRECTS = 5
ALLOWED_CONTENT_TYPES = frozenset({"text/html", "text/plain", "text/markdown", "application/xhtml+xml"})


def fetch(url: str, *, allow_private_urls: bool = False) -> tuple[str, str, str | None, bytes]:
    """(final URL, content type, charset, body), following at most ``MAX_REDIRECTS`` checked redirects."""
    import requests

    with requests.Session() as session:
        session.trust_env = False  # no proxies from the environment: the address check must see the target
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(current, allow_private_urls=allow_private_urls)
            try:
                response = session.get(
                    current,
                    stream=True,
                    allow_redirects=False,
                    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                    headers={"User-Agent": "factaid/0.1", "Accept": ", ".join(sorted(ALLOWED_CONTENT_TYPES))},
                )
            except requests.RequestException as exc:
                raise FetchError(f"{current}: {_reason(exc)}") from exc
            with response:
                if response.is_redirect:
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code >= 400:
                    raise FetchError(f"{current}: the server answered HTTP {response.status_code}")
                content_type, charset = _content_type(current, response.headers.get("content-type", ""))
                return current, content_type, charset, _read_capped(response, current)
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return "timed out"
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def _content_type(url: str, header: str) -> tuple[str, str | None]:
    content_type = header.split(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        allowed = ", ".join(sorted(ALLOWED_CONTENT_TYPES))
        raise FetchError(f"{url}: content type {content_type or 'missing'!r} is not one of {allowed}")
    charset = re.search(r"charset=[\"']?([\w-]+)", header, re.IGNORECASE)
    return content_type, charset.group(1) if charset else None


def _read_capped(response, url: str) -> bytes:
    import requests

    limit = f"the {MAX_FETCH_BYTES / 1e6:g} MB limit"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FETCH_BYTES:
        raise FetchError(f"{url}: the page is {int(declared) / 1e6:.1f} MB, over {limit}")
    chunks, size, deadline = [], 0, time.monotonic() + TOTAL_TIMEOUT
    try:
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > MAX_FETCH_BYTES:
                raise FetchError(f"{url}: the page is over {limit}")
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: the download took longer than {TOTAL_TIMEOUT:g} s")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise FetchError(f"{url}: {_reason(exc)}") from exc
    return b"".join(chunks)


def check_url(url: str, *, allow_private_urls: bool = False) -> None:
    """Refuse non-http(s) URLs and, unless allowed, hosts that resolve to any non-public address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"{url}: only http:// and https:// URLs can be fetched")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"{url}: invalid URL ({exc})") from exc
    if not host:
        raise FetchError(f"{url}: the URL has no host")
    if allow_private_urls:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{url}: cannot resolve host {host!r} ({exc})") from exc
    for info in infos:
        reason = address_refusal(str(info[4][0]))
        if reason:
            raise FetchError(
                f"{url}: {host} resolves to {info[4][0]}, a {reason} address; "
                "pass allow_private_urls=True (--allow-private-urls) to fetch it"
            )


def address_refusal(address: str) -> str | None:
    """Why an IP address may not be fetched by default (e.g. "loopback"), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for attribute in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{attribute}"):
            return attribute.replace("_", "-")
    return None if ip.is_global else "non-public"
