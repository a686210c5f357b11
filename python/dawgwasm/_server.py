"""Development server for ``dawgwasm serve``: static files, safely, with COOP/COEP.

The server maps URL prefixes to folders (:class:`Mount`), serves only regular
files that resolve inside their mount's root, never lists a directory, and
answers ``GET`` and ``HEAD`` only. Every response carries the headers a page
needs to be cross-origin isolated (and so to use ``SharedArrayBuffer``)::

    Cross-Origin-Opener-Policy: same-origin
    Cross-Origin-Embedder-Policy: require-corp
    Cross-Origin-Resource-Policy: same-origin

plus ``Cache-Control: no-store`` (a rebuilt ``.wasm`` is never served stale)
and ``X-Content-Type-Options: nosniff``. Content types come from a fixed
table, not from the operating system's ``mime.types``.

It is meant for a developer's own machine: it binds 127.0.0.1 by default,
and answers only requests whose ``Host`` header names the machine by an IP
address, ``localhost`` (or a ``*.localhost`` name) or the ``--host`` it was
started with (:func:`host_allowed`): a page on another site that points its
own domain name at 127.0.0.1 (DNS rebinding) is refused with 421.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import shutil
import socket
import socketserver
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from dawgwasm._errors import ServeError

__all__ = [
    "ISOLATION_HEADERS",
    "MIME_TYPES",
    "DevServer",
    "Mount",
    "content_type",
    "demo_root",
    "host_allowed",
    "host_warning",
    "make_server",
    "resolve",
]

#: Content type by file-name ending; anything else is ``application/octet-stream``.
MIME_TYPES: dict[str, str] = {
    ".d.ts": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".wav": "audio/wav",
    ".txt": "text/plain; charset=utf-8",
}

#: Headers that make the page cross-origin isolated (left out with ``isolation=False``).
ISOLATION_HEADERS: tuple[tuple[str, str], ...] = (
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)

#: Headers sent on every response whatever the isolation mode.
_ALWAYS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)

_ALLOWED_METHODS = ("GET", "HEAD")
_INDEX = "index.html"
# A '%' must start a two-digit hex escape.
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Control characters (NUL included) have no place in a request path.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


class _MalformedPath(ValueError):
    """The request target cannot be a path at all (answered with 400)."""


@dataclass(frozen=True)
class Mount:
    """Serve the folder ``root`` under ``url_prefix``.

    ``url_prefix`` starts and ends with ``/`` (``"/"``, ``"/dist/"``). When
    several mounts match a URL, the longest prefix wins.
    """

    url_prefix: str
    root: Path

    def __post_init__(self) -> None:
        prefix = self.url_prefix
        if not (prefix.startswith("/") and prefix.endswith("/")) or "//" in prefix:
            raise ValueError(f"mount prefix {prefix!r} must start and end with '/', like '/dist/'")

    @property
    def segments(self) -> tuple[str, ...]:
        """The prefix split into path segments (``()`` for ``"/"``)."""
        return tuple(s for s in self.url_prefix.split("/") if s)


def _split_target(url_path: str) -> tuple[list[str], bool]:
    """Split a request target into decoded segments and a trailing-slash flag.

    Raise :class:`_MalformedPath` for targets that are not a path (no leading
    ``/``, control characters or NUL, broken percent escapes, non-UTF-8).
    Segments that are refused but well formed (``..``, empty, trailing dot)
    come back as they are, for :func:`_segment_refused` to judge.
    """
    path = url_path.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/"):
        raise _MalformedPath(f"request target {url_path!r} is not an absolute path")
    if _CONTROL.search(path) or _BAD_PERCENT.search(path):
        raise _MalformedPath(f"request target {url_path!r} is malformed")
    raw_segments = path[1:].split("/")
    is_dir = raw_segments[-1] == ""
    if is_dir:
        raw_segments.pop()
    segments: list[str] = []
    for raw in raw_segments:
        try:
            decoded = unquote(raw, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise _MalformedPath(f"request target {url_path!r} is not UTF-8") from e
        if _CONTROL.search(decoded):
            raise _MalformedPath(f"request target {url_path!r} is malformed")
        segments.append(decoded)
    return segments, is_dir


def _segment_refused(segment: str) -> bool:
    """True for segments that could step outside a folder on some OS.

    Refused: empty, ``.``/``..``, anything holding ``/`` or ``\\`` once decoded,
    ``:`` (Windows drives and alternate data streams), and a trailing dot or
    space, which Windows strips (``"..."``, ``".. "`` name the parent there).
    """
    return (
        segment in ("", ".", "..")
        or any(c in segment for c in "/\\:")
        or segment.endswith((".", " "))
    )


def _pick_mount(
    mounts: Sequence[Mount], segments: Sequence[str], is_dir: bool
) -> tuple[Mount, list[str]] | None:
    """Return the mount with the longest matching prefix and the rest of the path."""
    best: tuple[Mount, list[str]] | None = None
    for mount in mounts:
        prefix = mount.segments
        n = len(prefix)
        if tuple(segments[:n]) != prefix or (len(segments) == n and not is_dir):
            continue
        if best is None or n > len(best[0].segments):
            best = (mount, list(segments[n:]))
    return best


def resolve(mounts: Sequence[Mount], url_path: str) -> Path | None:
    """Map a request path to the file it names, or None if refused or missing.

    The path is percent-decoded segment by segment; a query string or fragment
    is ignored. ``..``, ``.``, empty segments, encoded slashes, backslashes,
    NUL and other control characters, ``:`` and segments ending in a dot or a
    space are refused. A path ending in ``/`` names that folder's
    ``index.html``. The result is ``Path.resolve()``-d (symlinks followed) and
    must lie inside the mount's resolved root and be a regular file, so a
    symlink pointing out of the root is refused and a folder is never listed.
    """
    try:
        segments, is_dir = _split_target(url_path)
    except _MalformedPath:
        return None
    if any(_segment_refused(s) for s in segments):
        return None
    picked = _pick_mount(mounts, segments, is_dir)
    if picked is None:
        return None
    mount, rest = picked
    if is_dir:
        rest.append(_INDEX)
    if not rest:
        return None
    try:
        root = mount.root.resolve()
        target = root.joinpath(*rest).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
    except (OSError, RuntimeError, ValueError):  # loops, bad names, permissions
        return None
    return target


def content_type(path: Path) -> str:
    """The ``Content-Type`` for ``path``, from :data:`MIME_TYPES` only."""
    name = path.name.lower()
    for ending, mime in MIME_TYPES.items():
        if name.endswith(ending):
            return mime
    return "application/octet-stream"


def host_warning(host: str) -> str | None:
    """A warning to print when ``host`` is not a loopback address, else None.

    Loopback means ``localhost`` or an address in 127.0.0.0/8 or ``::1``;
    anything else (``0.0.0.0``, ``::``, a LAN address, a host name) may make
    the page reachable from other machines.
    """
    name = host.strip().lower()
    if name in _LOOPBACK_NAMES:
        return None
    try:
        if ipaddress.ip_address(name.strip("[]")).is_loopback:
            return None
    except ValueError:
        pass
    shown = host or "all interfaces"
    return (
        f"warning: binding {shown} makes this page reachable from the network; "
        "AudioWorklet needs a secure context (https or localhost), so a browser "
        "opening it over plain http from another machine cannot run the DSP"
    )


def _host_name(header: str) -> str | None:
    """The host of a ``Host`` header without its port (IPv6 without brackets),
    lower-cased; None if malformed."""
    h = header.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        if end < 0 or (h[end + 1 :] and not re.fullmatch(r":\d{1,5}", h[end + 1 :])):
            return None
        return h[1:end]
    name, _, port = h.partition(":")
    if port and not re.fullmatch(r"\d{1,5}", port):
        return None
    return name


def host_allowed(header: str | None, bind_host: str) -> bool:
    """Whether a request's ``Host`` header may be answered.

    Allowed: an IP address (a literal address cannot be rebound to another
    site's name), ``localhost`` and names under ``.localhost`` (browsers
    resolve them to loopback themselves), and ``bind_host``, the name the
    server was told to bind. Refused: every other name, and a missing or
    malformed header (every browser sends one)."""
    if header is None:
        return False
    name = _host_name(header)
    if not name:
        return False
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    return name == bind_host.strip().strip("[]").lower().rstrip(".")


def demo_root() -> Path:
    """The demo page folder ``web/demo`` of the source tree this package lives in."""
    return Path(__file__).resolve().parents[2] / "web" / "demo"


class DevServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the mounts and options for its handler."""

    # SO_REUSEADDR lets a second server take a busy port on Windows, and
    # SO_REUSEPORT does the same on Linux; "port in use" must stay an error.
    allow_reuse_address = sys.platform != "win32"
    allow_reuse_port = False

    def __init__(
        self,
        address: tuple[str, int],
        mounts: Sequence[Mount],
        *,
        isolation: bool = True,
        verbose: bool = False,
    ) -> None:
        self.bind_host = address[0]
        self.mounts: tuple[Mount, ...] = tuple(mounts)
        self.isolation = isolation
        self.verbose = verbose
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS look-up ``HTTPServer`` does."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        """Ignore clients that hang up early unless verbose; report other errors."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError) and not self.verbose:
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Serve files from the server's mounts; GET and HEAD only."""

    server: DevServer
    raw_requestline: bytes  # set by handle_one_request before parse_request
    server_version = "dawgwasm-serve"
    default_request_version = "HTTP/1.0"
    timeout = 60

    def version_string(self) -> str:
        """The ``Server`` header: no Python version."""
        return self.server_version

    def parse_request(self) -> bool:
        if len(self.raw_requestline.split()) == 2:
            # An HTTP/0.9 request ("GET /path"): its reply has no status line
            # or headers, so it could not carry COOP/COEP. Refuse it without
            # waiting for headers such a client never sends.
            self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
            self.command, self.request_version = "", "HTTP/1.0"
            self.send_error(HTTPStatus.BAD_REQUEST)
            return False
        if not super().parse_request():
            return False
        if self.command not in _ALLOWED_METHODS:
            self._send_status(
                HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", ", ".join(_ALLOWED_METHODS))]
            )
            return False
        return True

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        if not host_allowed(self.headers.get("Host"), self.server.bind_host):
            self._send_status(HTTPStatus.MISDIRECTED_REQUEST)
            return
        try:
            _split_target(self.path)
        except _MalformedPath:
            self._send_status(HTTPStatus.BAD_REQUEST)
            return
        target = resolve(self.server.mounts, self.path)
        if target is None:
            self._send_status(HTTPStatus.NOT_FOUND)
            return
        try:
            f = target.open("rb")
        except OSError:
            self._send_status(HTTPStatus.NOT_FOUND)
            return
        with f:
            size = target.stat().st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type(target))
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if send_body:
                shutil.copyfileobj(f, self.wfile)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer errors from the base class (bad request line, too long) in our format."""
        self._send_status(code)

    def _send_status(self, code: int, headers: Iterable[tuple[str, str]] = ()) -> None:
        """Send a short plain-text error response and close the connection."""
        status = HTTPStatus(code)
        body = f"{status.value} {status.phrase}\n".encode()
        self.close_connection = True
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def end_headers(self) -> None:
        """Add the isolation and cache headers to every response, then end them."""
        if self.server.isolation:
            for name, value in ISOLATION_HEADERS:
                self.send_header(name, value)
        for name, value in _ALWAYS_HEADERS:
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Log to stderr only when the server is verbose."""
        if self.server.verbose:
            super().log_message(format, *args)


def make_server(
    mounts: Sequence[Mount],
    host: str = "127.0.0.1",
    port: int = 8000,
    isolation: bool = True,
    *,
    verbose: bool = False,
) -> DevServer:
    """Bind a :class:`DevServer` for ``mounts`` on ``host:port`` (not yet serving).

    ``port=0`` picks any free port; read it back from ``server.server_address``.
    ``isolation=False`` leaves out COOP/COEP/CORP, to try the page's fallback
    for browsers without ``SharedArrayBuffer``. ``verbose`` logs each request
    to stderr. Raise :class:`ServeError` if the address cannot be bound.
    """
    if not mounts:
        raise ValueError("make_server needs at least one Mount")
    try:
        return DevServer((host, port), mounts, isolation=isolation, verbose=verbose)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is in use; "
                "pick another with --port (or --port 0 for any free port)"
            ) from e
        if e.errno == errno.EACCES:
            raise ServeError(
                f"not allowed to bind port {port} on {host}; "
                "pick a port above 1023 with --port (or --port 0 for any free port)"
            ) from e
        raise ServeError(f"cannot serve on {host}:{port}: {e.strerror or e}") from e
