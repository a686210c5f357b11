"""The dev server keeps its promises (RELIABILITY.md SV1-SV5).

A real server runs in a background thread on a free port, serving temporary
folders. Path-traversal requests go through raw sockets, because HTTP
clients normalise ``..`` and percent escapes before sending.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dawgwasm._errors import ServeError
from dawgwasm._server import (
    DevServer,
    Mount,
    content_type,
    demo_root,
    host_allowed,
    host_warning,
    make_server,
    resolve,
)

SECRET = b"SECRET-7f3a9c-outside-the-root"
ISOLATION = {
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
    "cross-origin-resource-policy": "same-origin",
}
ALWAYS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


@dataclass
class Tree:
    base: Path
    site: Path
    dist: Path

    @property
    def mounts(self) -> list[Mount]:
        # "/" first on purpose: the longest prefix must win whatever the order.
        return [Mount("/", self.site), Mount("/dist/", self.dist)]


@dataclass
class Response:
    raw: bytes
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A demo root and a dist root, with secrets and symlinks just outside them."""
    (tmp_path / "SECRET.txt").write_bytes(SECRET)
    (tmp_path / "pyproject.toml").write_bytes(SECRET)
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "sub" / "page.txt").write_text("sub page\n")
    (site / "a").mkdir()
    (site / "index.html").write_text("<!doctype html><title>demo</title>\n")
    (site / "app.js").write_text("export const x = 1;\n")
    (site / "mod.mjs").write_text("export default 2;\n")
    (site / "style.css").write_text("body{}\n")
    (site / "data.json").write_text('{"a": 1}\n')
    (site / "dist").mkdir()
    (site / "dist" / "dawg.wasm").write_bytes(b"wrong mount")
    (site / "leak.txt").symlink_to(tmp_path / "SECRET.txt")
    (site / "leakdir").symlink_to(tmp_path)
    (site / "inside-link.js").symlink_to(site / "app.js")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "dawg.wasm").write_bytes(b"\x00asm\x01\x00\x00\x00")
    (dist / "manifest.json").write_text("{}\n")
    (dist / "dawg.d.ts").write_text("export {};\n")
    return Tree(tmp_path, site, dist)


def _start(server: DevServer) -> Iterator[DevServer]:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(tree: Tree) -> Iterator[DevServer]:
    yield from _start(make_server(tree.mounts, port=0))


@pytest.fixture
def open_server(tree: Tree) -> Iterator[DevServer]:
    yield from _start(make_server(tree.mounts, port=0, isolation=False))


def request(server: DevServer, raw: bytes) -> Response:
    """Send ``raw`` bytes as they are and read the whole reply."""
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=5) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(data, status, headers, body)


def get(server: DevServer, target: str, method: str = "GET") -> Response:
    return request(
        server, f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("latin-1")
    )


# --- SV1: loopback by default, a warning otherwise ---------------------------------


def test_default_bind_is_loopback(tree: Tree) -> None:
    server = make_server(tree.mounts, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST", "::1"])
def test_loopback_hosts_get_no_warning(host: str) -> None:
    assert host_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "", "example.com"])
def test_non_loopback_host_warns_network_and_secure_context(host: str) -> None:
    warning = host_warning(host)
    assert warning is not None
    assert "network" in warning
    assert "secure context" in warning
    assert "https or localhost" in warning


# --- SV2: nothing outside the roots ---------------------------------------------

TRAVERSALS = [
    "/../SECRET.txt",
    "/../pyproject.toml",
    "/%2e%2e/SECRET.txt",
    "/%2E%2E/SECRET.txt",
    "/.%2e/SECRET.txt",
    "/..%2fSECRET.txt",
    "/%2e%2e%2fSECRET.txt",
    "//etc/passwd",
    "/..%20/SECRET.txt",
    "/...%2fSECRET.txt",
    "/%00",
    "/index.html%00.txt",
    "/a/%2e%2e/%2e%2e/SECRET.txt",
    "/a/../../SECRET.txt",
    "/dist/../SECRET.txt",
    "/dist/%2e%2e/SECRET.txt",
    "/..\\SECRET.txt",
    "/..%5cSECRET.txt",
    "/%252e%252e/SECRET.txt",
    "/leak.txt",
    "/leakdir/SECRET.txt",
    "/leakdir/pyproject.toml",
    "http://x/../SECRET.txt",
    "/etc/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_is_refused_and_leaks_nothing(server: DevServer, target: str) -> None:
    response = get(server, target)
    assert response.status in (400, 404)
    assert SECRET not in response.raw
    assert b"root:" not in response.raw


def test_raw_nul_byte_is_bad_request(server: DevServer) -> None:
    response = request(server, b"GET /index.html\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert response.status == 400


@pytest.mark.parametrize("target", ["/%00", "/a%00b", "/%zz", "/%e9", "*"])
def test_malformed_targets_are_bad_request(server: DevServer, target: str) -> None:
    assert get(server, target).status == 400


def test_symlink_inside_root_is_served(server: DevServer) -> None:
    response = get(server, "/inside-link.js")
    assert response.status == 200
    assert response.body == b"export const x = 1;\n"


RESOLVE_TABLE = [
    ("/", "site/index.html"),
    ("/index.html", "site/index.html"),
    ("/app.js", "site/app.js"),
    ("/%61pp.js", "site/app.js"),
    ("/app.js?v=2#top", "site/app.js"),
    ("/sub/page.txt", "site/sub/page.txt"),
    ("/dist/dawg.wasm", "dist/dawg.wasm"),
    ("/dist/dawg.d.ts", "dist/dawg.d.ts"),
    ("/inside-link.js", "site/app.js"),
    ("/sub/", None),
    ("/sub", None),
    ("/dist/", None),
    ("/missing.js", None),
    ("", None),
    ("app.js", None),
    ("//etc/passwd", None),
    ("/sub//page.txt", None),
    ("/./app.js", None),
    ("/app.js.", None),
    ("/app.js%20", None),
    ("/app.js::$DATA", None),
    ("/C:/Windows/win.ini", None),
    ("/%2e/app.js", None),
    ("/sub/..%2fapp.js", None),
    ("/sub/%2e%2e/app.js", None),
    ("/%00app.js", None),
    ("/app.js%zz", None),
] + [(t, None) for t in TRAVERSALS]


@pytest.mark.parametrize(("url_path", "expected"), RESOLVE_TABLE)
def test_resolve_maps_inside_roots_or_refuses(
    tree: Tree, url_path: str, expected: str | None
) -> None:
    result = resolve(tree.mounts, url_path)
    if expected is None:
        assert result is None
    else:
        assert result == (tree.base / expected).resolve()


def test_longest_prefix_wins(tree: Tree) -> None:
    for mounts in (tree.mounts, list(reversed(tree.mounts))):
        assert resolve(mounts, "/dist/dawg.wasm") == (tree.dist / "dawg.wasm").resolve()


@pytest.mark.parametrize("prefix", ["", "dist/", "/dist", "//"])
def test_mount_prefix_must_start_and_end_with_slash(prefix: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must start and end with '/'"):
        Mount(prefix, tmp_path)


# --- SV3: explicit MIME types ---------------------------------------------------


@pytest.mark.parametrize(
    ("target", "mime"),
    [
        ("/dist/dawg.wasm", "application/wasm"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/mod.mjs", "text/javascript; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/dist/dawg.d.ts", "text/plain; charset=utf-8"),
    ],
)
def test_content_type_comes_from_the_explicit_map(
    server: DevServer, target: str, mime: str
) -> None:
    response = get(server, target)
    assert response.status == 200
    assert response.headers["content-type"] == mime


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("x.svg", "image/svg+xml"),
        ("x.png", "image/png"),
        ("x.wav", "audio/wav"),
        ("x.txt", "text/plain; charset=utf-8"),
        ("X.WASM", "application/wasm"),
        ("x.ts", "application/octet-stream"),
        ("x.bin", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_content_type_table(name: str, mime: str) -> None:
    assert content_type(Path(name)) == mime


def test_content_type_ignores_os_mime_types(monkeypatch: pytest.MonkeyPatch) -> None:
    import mimetypes

    monkeypatch.setitem(mimetypes.types_map, ".wasm", "text/plain")
    monkeypatch.setitem(mimetypes.types_map, ".js", "application/x-javascript")
    assert content_type(Path("a.wasm")) == "application/wasm"
    assert content_type(Path("a.js")) == "text/javascript; charset=utf-8"


# --- SV4: isolation and cache headers on every response -------------------------

EVERY_KIND = [
    ("GET", "/", 200),
    ("GET", "/app.js", 200),
    ("GET", "/dist/dawg.wasm", 200),
    ("GET", "/missing", 404),
    ("GET", "/../SECRET.txt", 404),
    ("GET", "/%00", 400),
    ("POST", "/", 405),
    ("HEAD", "/", 200),
]


@pytest.mark.parametrize(("method", "target", "status"), EVERY_KIND)
def test_every_response_carries_isolation_and_cache_headers(
    server: DevServer, method: str, target: str, status: int
) -> None:
    response = get(server, target, method)
    assert response.status == status
    for name, value in {**ISOLATION, **ALWAYS}.items():
        assert response.headers.get(name) == value, name


def test_bad_request_line_carries_headers(server: DevServer) -> None:
    response = request(server, b"GET / HTTP/x.y\r\n\r\n")
    assert response.status == 400
    for name, value in {**ISOLATION, **ALWAYS}.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize(("method", "target", "status"), EVERY_KIND)
def test_no_isolation_leaves_out_coop_coep_corp_only(
    open_server: DevServer, method: str, target: str, status: int
) -> None:
    response = get(open_server, target, method)
    assert response.status == status
    for name in ISOLATION:
        assert name not in response.headers
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name


# --- SV5: port in use, methods, listings, HEAD, index ---------------------------


def test_port_in_use_raises_serve_error_naming_the_port(tree: Tree) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=rf"port {port} on 127\.0\.0\.1 is in use") as info:
            make_server(tree.mounts, port=port)
    assert "--port 0" in str(info.value)


def test_second_server_on_same_port_raises_serve_error(server: DevServer, tree: Tree) -> None:
    port = server.server_address[1]
    with pytest.raises(ServeError, match=f"port {port}"):
        make_server(tree.mounts, port=port)


def test_port_zero_binds_a_free_port(server: DevServer) -> None:
    assert server.server_address[1] != 0
    assert get(server, "/").status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
def test_methods_other_than_get_and_head_are_405(server: DevServer, method: str) -> None:
    response = get(server, "/index.html", method)
    assert response.status == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert b"<title>demo</title>" not in response.body


def test_post_with_body_is_405(server: DevServer) -> None:
    response = request(
        server, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
    )
    assert response.status == 405


@pytest.mark.parametrize("target", ["/sub/", "/sub", "/dist/", "/a/"])
def test_directory_without_index_is_404_not_a_listing(server: DevServer, target: str) -> None:
    response = get(server, target)
    assert response.status == 404
    assert b"page.txt" not in response.raw
    assert b"dawg.wasm" not in response.raw
    assert b"manifest" not in response.raw


def test_root_serves_index_html(server: DevServer, tree: Tree) -> None:
    response = get(server, "/")
    assert response.status == 200
    assert response.body == (tree.site / "index.html").read_bytes()
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_get_serves_exact_bytes_with_length(server: DevServer, tree: Tree) -> None:
    response = get(server, "/dist/dawg.wasm")
    assert response.status == 200
    assert response.body == (tree.dist / "dawg.wasm").read_bytes()
    assert response.headers["content-length"] == str(len(response.body))


def test_head_sends_headers_and_no_body(server: DevServer, tree: Tree) -> None:
    response = get(server, "/app.js", "HEAD")
    assert response.status == 200
    assert response.body == b""
    assert response.headers["content-length"] == str((tree.site / "app.js").stat().st_size)
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"


def test_head_on_missing_file_has_no_body(server: DevServer) -> None:
    response = get(server, "/missing", "HEAD")
    assert response.status == 404
    assert response.body == b""


def test_http_0_9_request_is_refused_with_headers(server: DevServer) -> None:
    response = request(server, b"GET /index.html\r\n")
    assert response.status == 400
    assert b"<title>demo</title>" not in response.raw
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"


def test_server_is_quiet_unless_verbose(tree: Tree, capfd: pytest.CaptureFixture[str]) -> None:
    for server in _start(make_server(tree.mounts, port=0)):
        assert get(server, "/").status == 200
        assert get(server, "/missing").status == 404
    assert capfd.readouterr().err == ""
    for server in _start(make_server(tree.mounts, port=0, verbose=True)):
        assert get(server, "/app.js").status == 200
    assert '"GET /app.js HTTP/1.1" 200' in capfd.readouterr().err


def test_server_version_does_not_reveal_python(server: DevServer) -> None:
    response = get(server, "/")
    assert b"\r\nServer: dawgwasm-serve\r\n" in response.raw
    assert b"Python" not in response.raw


# --- CLI helpers ----------------------------------------------------------------


def test_demo_root_is_web_demo_of_the_source_tree() -> None:
    root = demo_root()
    assert root.parts[-2:] == ("web", "demo")
    assert (root.parents[1] / "python" / "dawgwasm" / "_server.py").is_file()
    assert root.is_dir()


def test_make_server_refuses_no_mounts() -> None:
    with pytest.raises(ValueError, match="at least one Mount"):
        make_server([], port=0)


def test_symlink_fixture_really_points_outside(tree: Tree) -> None:
    # Guards the traversal tests: the links must exist and lead to the secret.
    assert os.path.islink(tree.site / "leak.txt")
    assert (tree.site / "leak.txt").read_bytes() == SECRET
    assert (tree.site / "leakdir" / "SECRET.txt").read_bytes() == SECRET


# --- DNS rebinding: only loopback names, IP literals and the --host name ---------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:8000",
        "localhost",
        "LOCALHOST:8000",
        "localhost.",
        "app.localhost:5173",
        "[::1]:8000",
        "[::1]",
        "192.168.1.20:8000",
    ],
)
def test_loopback_names_and_addresses_are_answered(server: DevServer, host: str) -> None:
    response = request(server, f"GET /app.js HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert response.status == 200
    assert response.body == b"export const x = 1;\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /app.js HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        b"GET /app.js HTTP/1.1\r\nHost: evil.example:8000\r\n\r\n",
        b"GET /app.js HTTP/1.1\r\nHost: localhost.evil.example\r\n\r\n",
        b"GET /app.js HTTP/1.1\r\nHost: 127.0.0.1.nip.io\r\n\r\n",
        b"GET /app.js HTTP/1.1\r\nHost: [::1\r\n\r\n",
        b"GET /app.js HTTP/1.1\r\nHost: localhost:80x\r\n\r\n",
        b"GET /app.js HTTP/1.1\r\nHost: \r\n\r\n",
        b"GET /app.js HTTP/1.1\r\n\r\n",
    ],
)
def test_a_rebound_domain_name_is_refused(server: DevServer, raw: bytes) -> None:
    """A page on another site that points its own name at 127.0.0.1 (DNS
    rebinding) reaches the server with that name in Host: refused, no body."""
    response = request(server, raw)
    assert response.status == 421
    assert b"export const x" not in response.raw
    assert response.headers["cross-origin-opener-policy"] == "same-origin"


def test_the_host_named_by_the_user_is_answered(tree: Tree) -> None:
    for srv in _start(make_server(tree.mounts, host="localhost", port=0)):
        assert get(srv, "/app.js").status == 200
        named = request(srv, b"GET /app.js HTTP/1.1\r\nHost: localhost:1\r\n\r\n")
        assert named.status == 200
        other = request(srv, b"GET /app.js HTTP/1.1\r\nHost: example.org\r\n\r\n")
        assert other.status == 421


@pytest.mark.parametrize(
    ("header", "bind", "allowed"),
    [
        ("devbox:8000", "devbox", True),
        ("DEVBOX", "devbox", True),
        ("devbox.evil", "devbox", False),
        ("evil", "0.0.0.0", False),
        ("10.0.0.5:8000", "0.0.0.0", True),
        (None, "127.0.0.1", False),
    ],
)
def test_host_allowed_rule(header: str | None, bind: str, allowed: bool) -> None:
    assert host_allowed(header, bind) is allowed


def test_serve_refuses_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    """A web app's folder with a PWA manifest.json is not a build: `serve`
    says so instead of serving it as /dist/."""
    import subprocess
    import sys

    app = tmp_path / "webapp"
    app.mkdir()
    (app / "manifest.json").write_text('{"name": "My PWA"}')
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("dawgwasm")),
            "serve",
            "--dist",
            str(app),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error: {app} is not a dawgwasm build (no .dawgwasm-build marker); "
        f"run 'dawgwasm build --out {app}' first"
    )
