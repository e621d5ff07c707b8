"""Issue 10, problem 5: the one outbound-fetch guard (SSRF), for photo_url, media_url and proof URLs."""
from __future__ import annotations

import ipaddress

import httpx
import pytest

from adapters.fetch import FetchFailed, FetchRefused, FetchTooLarge, SafeFetcher, address_refusal
from tests.harness.fake_api import FakeAPI

REFUSED = [
    ("100.64.0.1", "shared address space (CGNAT)"),
    ("100.100.100.200", "cloud metadata in 100.64.0.0/10"),
    ("100.127.255.254", "top of 100.64.0.0/10"),
    ("192.0.0.192", "IETF protocol assignments 192.0.0.0/24"),
    ("192.0.0.9", "192.0.0.0/24, which Python calls global"),
    ("169.254.169.254", "link-local metadata"),
    ("127.0.0.1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("0.0.0.0", "this host"),
    ("0.1.2.3", "0.0.0.0/8"),
    ("224.0.1.1", "IPv4 multicast, globally scoped"),
    ("239.255.255.250", "IPv4 multicast (SSDP)"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("2002:a9fe:a9fe::", "6to4 of 169.254.169.254"),
    ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
    ("2002:6464:64c8::", "6to4 of 100.100.100.200"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
    ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped metadata"),
    ("::ffff:100.100.100.200", "IPv4-mapped CGNAT"),
    ("::127.0.0.1", "IPv4-compatible (deprecated)"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo carrying 10.0.0.1"),
    ("ff0e::1", "IPv6 multicast, globally scoped"),
    ("ff02::1", "IPv6 link-local multicast"),
    ("::1", "IPv6 loopback"),
    ("::", "unspecified"),
    ("fe80::1", "IPv6 link-local"),
    ("fd00:ec2::254", "unique local (AWS IPv6 metadata)"),
    ("fec0::1", "site-local"),
    ("2001:db8::1", "documentation"),
    ("100::1", "discard-only"),
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "103.10.20.30", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808",
           "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address, what", REFUSED, ids=[r[0] for r in REFUSED])
def test_address_classes_that_are_refused(address, what):
    assert address_refusal(ipaddress.ip_address(address)) is not None, what


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


class Resolver:
    """An injected DNS: answers from a script, counts lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def only_loopback_is_public(ip):
    """Test policy: the fake server's 127.0.0.1 plays a public host; everything else is judged for real."""
    return None if str(ip) == "127.0.0.1" else address_refusal(ip)


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.mark.parametrize("url", ["http://100.100.100.200/latest/meta-data/", "http://[2002:a9fe:a9fe::]/",
                                 "http://[::ffff:169.254.169.254]/", "http://192.0.0.192/", "http://224.0.0.1/"])
async def test_literal_addresses_are_refused_before_any_connection(http, url):
    fetcher = SafeFetcher(http, max_bytes=1000, resolver=Resolver(["8.8.8.8"]))
    with pytest.raises(FetchRefused, match="disallowed address"):
        await fetcher.get(url)


async def test_a_name_with_one_private_answer_is_refused(http):
    resolver = Resolver(["8.8.8.8", "10.0.0.5"])
    with pytest.raises(FetchRefused, match="disallowed address"):
        await SafeFetcher(http, max_bytes=1000, resolver=resolver).get("https://photos.example/a.jpg")


async def test_dns_is_resolved_once_and_the_checked_address_is_the_one_connected(http):
    """DNS rebinding: the second answer (metadata) is never asked for nor used."""
    resolver = Resolver(["127.0.0.1"], ["169.254.169.254"])
    async with FakeAPI() as api:
        api.expect("GET", "/p.jpg", body=b"\xff\xd8\xff photo")
        fetcher = SafeFetcher(http, max_bytes=1000, resolver=resolver, policy=only_loopback_is_public)
        got = await fetcher.get(f"http://rebind.example:{api.port}/p.jpg")
        api.verify()
    assert got.content == b"\xff\xd8\xff photo"
    assert resolver.calls == ["rebind.example"]  # one resolution
    assert api.requests[0].headers["host"] == f"rebind.example:{api.port}"  # the name, to the checked address


async def test_redirect_to_a_private_address_is_refused(http):
    async with FakeAPI() as api:
        api.expect("GET", "/r", status=302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
        fetcher = SafeFetcher(http, max_bytes=1000, resolver=Resolver(["127.0.0.1"]), policy=only_loopback_is_public)
        with pytest.raises(FetchRefused, match="disallowed address"):
            await fetcher.get(f"{api.base_url}/r")
        api.verify()


async def test_redirect_to_a_name_resolving_private_is_refused(http):
    resolver = Resolver(["10.0.0.7"])
    async with FakeAPI() as api:
        api.expect("GET", "/r", status=301, headers={"location": "https://internal.example/secret"})
        fetcher = SafeFetcher(http, max_bytes=1000, resolver=resolver, policy=only_loopback_is_public)
        with pytest.raises(FetchRefused, match="disallowed address"):
            await fetcher.get(f"{api.base_url}/r")
    assert resolver.calls == ["internal.example"]


async def test_redirects_are_followed_through_the_checks_at_most_three_hops(http):
    async with FakeAPI() as api:
        for i in range(3):
            api.expect("GET", f"/hop{i}", status=302, headers={"location": f"/hop{i + 1}"})
        api.expect("GET", "/hop3", body=b"final")
        fetcher = SafeFetcher(http, max_bytes=1000, allow_private=True)
        assert (await fetcher.get(f"{api.base_url}/hop0")).content == b"final"
        for i in range(4):
            api.expect("GET", f"/loop{i}", status=307, headers={"location": f"/loop{i + 1}"})
        with pytest.raises(FetchRefused, match="more than 3"):
            await fetcher.get(f"{api.base_url}/loop0")


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_oversized_body_is_abandoned_at_the_limit(http, chunked):
    from aiohttp import web

    big = b"\xff\xd8\xff" + b"x" * 200_000

    def respond(_request):
        if not chunked:
            return web.Response(body=big)

        class Streamed(web.StreamResponse):
            async def prepare(self, request):  # no Content-Length: only the streaming limit can stop it
                self.enable_chunked_encoding()
                writer = await super().prepare(request)
                for i in range(0, len(big), 8192):
                    await self.write(big[i:i + 8192])
                return writer

        return Streamed()

    async with FakeAPI() as api:
        api.expect("GET", "/big.jpg", handler=respond)
        fetcher = SafeFetcher(http, max_bytes=50_000, allow_private=True)
        with pytest.raises(FetchTooLarge, match="larger than 50000"):
            await fetcher.get(f"{api.base_url}/big.jpg")


async def test_allow_private_hosts_still_fetches_from_local_fakes(http):
    async with FakeAPI() as api:
        api.expect("GET", "/ok.jpg", body=b"ok")
        api.expect("GET", "/gone.jpg", status=404)
        fetcher = SafeFetcher(http, max_bytes=1000, allow_private=True)
        assert (await fetcher.get(f"{api.base_url}/ok.jpg")).content == b"ok"
        with pytest.raises(FetchFailed, match="404"):
            await fetcher.get(f"{api.base_url}/gone.jpg")
    strict = SafeFetcher(http, max_bytes=1000)
    with pytest.raises(FetchRefused, match="disallowed"):
        await strict.get(f"{api.base_url}/ok.jpg")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "http://user:pw@photos.example/", "http:///x",
                                 "not a url"])
async def test_only_plain_http_urls(http, url):
    with pytest.raises(FetchRefused):
        await SafeFetcher(http, max_bytes=10, resolver=Resolver(["8.8.8.8"])).get(url)


async def test_partner_photo_url_and_open311_media_url_use_the_guard(tmp_path):
    from adapters.errors import WebhookRejected
    from adapters.partner import PartnerAdapter
    from tests.conftest import make_config

    adapter = PartnerAdapter(make_config(tmp_path).channels.partner)  # production: no private hosts
    await adapter.start()
    try:
        for url in ("http://100.100.100.200/latest/meta-data/", "http://[2002:a9fe:a9fe::]/x.jpg"):
            with pytest.raises(WebhookRejected) as err:
                await adapter.fetch_photo(url)
            assert err.value.status == 400 and "disallowed address" in err.value.reason
    finally:
        await adapter.stop()


async def test_staff_proof_url_uses_the_guard(tmp_path):
    from bot.staff.proof import PhotoError, ProofStore
    from store.media import MediaStore

    store = ProofStore(MediaStore(tmp_path, 1000), 8)
    with pytest.raises(PhotoError) as err:
        await store.fetch_url("http://192.0.0.192/proof.jpg")
    assert err.value.key == "staff_photo_download_failed"


@pytest.mark.parametrize("media_url", ["http://100.100.100.200/latest/meta-data/", "http://[64:ff9b::a9fe:a9fe]/m.jpg"])
async def test_open311_media_url_to_a_metadata_address_is_400(client, gateway, monkeypatch, media_url):
    from urllib.parse import quote

    from tests.conftest import PARTNER_KEY

    adapter = gateway.adapter("partner")
    monkeypatch.setattr(adapter, "allow_private_hosts", False)  # production setting
    monkeypatch.setattr(adapter, "_safe_fetcher", None)
    r = await client.post("/open311/v2/requests.json", headers={"content-type": "application/x-www-form-urlencoded"},
                          content=f"api_key={PARTNER_KEY}&service_code=sampah&lat=-6.2&long=106.8"
                                  f"&media_url={quote(media_url, safe='')}")
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("media_url points at a disallowed address")
