"""Calls into the profile page (web/profile/profile-page.js), each bounded
in time, and what a failed call means for the page.

Every call goes through the page's ``call`` entry point, which races the
called function against a timer of ``timeout_s`` (PAGE_CALL_TIMEOUT_S by
default): a promise that never settles (a worklet that never answers, a
context that never starts) becomes an error naming the call, and the run
goes on with the next arm. A page whose renderer crashed or that closed
is replaced by a new one before the next call, and the run stops when
the browser itself is gone (:class:`Pages`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PAGE_CALL_TIMEOUT_S", "BrowserGone", "Pages", "call"]

#: The longest any one call into the page may take, seconds (a 60 s render
#: of 256 tracks on the browser's own nodes takes about 15 s here).
PAGE_CALL_TIMEOUT_S = 300.0
CALL_JS = "async (a) => (await import('/profile/profile-page.js')).call(a)"


def call(page: Any, name: str, args: dict[str, Any], timeout_s: float = PAGE_CALL_TIMEOUT_S) -> Any:
    """``name(args)`` of the profile page, its result; raises the page's
    error (or the timer's) as Playwright reports it."""
    return page.evaluate(CALL_JS, {"name": name, "args": args, "timeoutMs": timeout_s * 1000})


class BrowserGone(RuntimeError):
    """Chromium itself closed or crashed: no new page can be opened."""


class Pages:
    """The profile page in ``browser``, replaced by a new one when its
    renderer crashed or it closed."""

    def __init__(self, browser: Any, url: str) -> None:
        self.browser = browser
        self.url = url
        self.crashes = 0
        self._lost = False
        self._page = self._open()

    def _open(self) -> Any:
        page = self.browser.new_page()
        page.on("crash", self._crashed)
        page.goto(self.url)
        return page

    def _crashed(self, _page: Any) -> None:
        self._lost = True

    def current(self) -> Any:
        """The page, a new one if the last crashed or closed; BrowserGone
        if Chromium is gone."""
        if not self._lost and not self._page.is_closed():
            try:
                self._page.evaluate("0")  # a crashed renderer answers nothing
            except Exception:
                self._lost = True
        if self._lost or self._page.is_closed():
            if not self.browser.is_connected():
                raise BrowserGone("Chromium closed or crashed")
            self.crashes += 1
            self._page = self._open()
            self._lost = False
        return self._page
