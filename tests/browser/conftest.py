"""Browser fixtures: the real dev server on a free port and the system
Chromium driven by Playwright. A missing Chromium is a failure, not a skip."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from dawgwasm import _paths
from dawgwasm._browser import launch_chromium
from dawgwasm._server import Mount, make_server


def start_server(dist: Path, isolation: bool = True) -> tuple[str, object]:
    server = make_server(
        [Mount("/dist/", dist), Mount("/", _paths.demo_dir())],
        host="127.0.0.1",
        port=0,
        isolation=isolation,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}", server


@pytest.fixture(scope="session")
def server_url(built_dist: Path) -> Iterator[str]:
    url, server = start_server(built_dist)
    yield url
    server.shutdown()  # type: ignore[attr-defined]
    server.server_close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, server_url: str) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(server_url + "/")
    pg.console_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
