"""The AudioWorklet's own DevTools session: the heap of the V8 isolate that
runs a page's AudioWorkletProcessors, read while it plays in real time.

Chromium exposes each worklet's isolate as a DevTools target of type
``"worklet"``. :class:`WorkletDevtools` opens a DevTools session on the page,
auto-attaches to those targets (``Target.setAutoAttach``) and speaks to them
through ``Target.sendMessageToTarget``: non-flat sessions, the only kind
Playwright's CDPSession can carry. Of the worklets, the AudioWorklet is the
one whose global scope has ``registerProcessor`` and ``sampleRate``.

Every AudioContext that loads a module gets its own AudioWorklet isolate, so
a page that plays one AudioContext after another has one target per
context. :meth:`WorkletDevtools.wait_for_audio_worklet` selects the newest
AudioWorklet attached *after* the one selected before (any, the first time):
create the next AudioContext, load its module, call it again, and what
follows reads the new isolate.

Every wait is bounded: a call to the worklet by ``call_timeout_s`` (20 s by
default), the search for an AudioWorklet by its ``timeout_s`` (10 s by
default) plus at most one call. Each failure raises
:class:`WorkletDevtoolsError` saying what is missing.

:func:`attributed_allocations` reads a sampling heap profile
(:meth:`WorkletDevtools.stop_sampling`) and keeps the allocations made with
the worklet's own code (any frame with a script URL) on the stack.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dawgwasm._errors import BrowserError, LimitError

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

__all__ = [
    "AUDIO_WORKLET_PROBE",
    "Allocations",
    "WorkletDevtools",
    "WorkletDevtoolsError",
    "attributed_allocations",
]

#: A JavaScript expression true in an AudioWorkletGlobalScope only.
AUDIO_WORKLET_PROBE = "typeof registerProcessor === 'function' && typeof sampleRate === 'number'"
#: Longest wait for one reply from a worklet, seconds (the default).
CALL_TIMEOUT_S = 20.0
#: Longest wait for an AudioWorklet target to appear, seconds (the default).
WAIT_TIMEOUT_S = 10.0
#: Longest any wait may be given, seconds.
MAX_TIMEOUT_S = 600.0
#: How often events are taken in while waiting, milliseconds.
_POLL_MS = 5
#: Mean interval of V8's sampling heap profiler, bytes (the default).
SAMPLING_INTERVAL_BYTES = 16
MAX_SAMPLING_INTERVAL_BYTES = 1 << 30


class WorkletDevtoolsError(BrowserError):
    """The page's AudioWorklet could not be found or spoken to through DevTools."""


@dataclass(frozen=True)
class Allocations:
    """What a sampling heap profile holds of the worklet's own allocations."""

    samples: int  # allocations sampled with worklet code on the stack
    estimated_bytes: int  # V8's estimate of the bytes they stand for
    #: sampled allocations by innermost worklet function, "name (file)"
    by_function: dict[str, int] = field(default_factory=dict)


def attributed_allocations(profile: dict[str, Any]) -> Allocations:
    """The allocations of a sampling heap profile (``HeapProfiler.stopSampling``'s
    ``profile``) made with code that has a script URL on the stack: what the
    worklet's modules run (process(), what it calls, message handlers), not
    the isolate idling or serving the inspector."""
    owner: dict[int, str | None] = {}  # node id -> innermost frame with a script URL
    self_size_bytes: dict[int, int] = {}
    stack: list[tuple[dict[str, Any], str | None]] = [(profile["head"], None)]
    while stack:
        node, inner = stack.pop()
        frame = node["callFrame"]
        if frame.get("url"):
            name = frame["functionName"] or "(anonymous)"
            inner = f"{name} ({frame['url'].rsplit('/', 1)[-1]})"
        owner[node["id"]] = inner
        self_size_bytes[node["id"]] = int(node["selfSize"])
        stack.extend((child, inner) for child in node["children"])
    by_function: dict[str, int] = {}
    count = 0
    for sample in profile["samples"]:
        name = owner[sample["nodeId"]]
        if name is not None:
            count += 1
            by_function[name] = by_function.get(name, 0) + 1
    estimate = sum(size for node, size in self_size_bytes.items() if owner[node] is not None)
    return Allocations(count, estimate, by_function)


def _check_timeout(name: str, value_s: float) -> float:
    if not (math.isfinite(value_s) and 0 < value_s <= MAX_TIMEOUT_S):
        raise LimitError(
            f"{name} must be more than 0 and at most {MAX_TIMEOUT_S:g} s, got {value_s}"
        )
    return float(value_s)


@dataclass
class _Target:
    """One attached worklet target."""

    order: int  # attach order in this session
    target_id: str
    session_id: str
    is_audio: bool | None = None  # None: not probed yet
    detached: bool = False


class WorkletDevtools:
    """The AudioWorklet isolate of one page, through a DevTools session on it.

    Make it before the page creates its AudioContext (targets that attached
    earlier are not reported), then :meth:`wait_for_audio_worklet` once the
    context has loaded its module, and once more after each new context."""

    def __init__(self, page: Page, *, call_timeout_s: float = CALL_TIMEOUT_S) -> None:
        self._call_timeout_s = _check_timeout("the call timeout", call_timeout_s)
        self._page = page
        self._cdp: CDPSession | None = page.context.new_cdp_session(page)
        self._targets: dict[str, _Target] = {}  # by session id
        self._replies: dict[int, dict[str, Any]] = {}
        self._selected: _Target | None = None
        self._next_id = 1
        self._cdp.on("Target.attachedToTarget", self._attached)
        self._cdp.on("Target.detachedFromTarget", self._detached)
        self._cdp.on("Target.receivedMessageFromTarget", self._received)
        self._cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": False},
        )

    # -- events ------------------------------------------------------------

    def _attached(self, event: dict[str, Any]) -> None:
        info = event["targetInfo"]
        if info["type"] == "worklet":
            session = event["sessionId"]
            self._targets[session] = _Target(len(self._targets), info["targetId"], session)

    def _detached(self, event: dict[str, Any]) -> None:
        target = self._targets.get(event.get("sessionId", ""))
        if target is not None:
            target.detached = True

    def _received(self, event: dict[str, Any]) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self._replies[message["id"]] = message

    # -- calls -------------------------------------------------------------

    def _call(self, target: _Target, method: str, params: dict[str, Any] | None = None) -> Any:
        if self._cdp is None:
            raise WorkletDevtoolsError(f"{method}: this DevTools session is closed")
        gone = WorkletDevtoolsError(
            f"{method}: the AudioWorklet {target.target_id} has gone (its AudioContext "
            "closed?); call wait_for_audio_worklet() after making the next one"
        )
        if target.detached:
            raise gone
        call_id = self._next_id
        self._next_id += 1
        message = {"id": call_id, "method": method, "params": params or {}}
        try:
            self._cdp.send(
                "Target.sendMessageToTarget",
                {"sessionId": target.session_id, "message": json.dumps(message)},
            )
        except Exception as e:  # Playwright raises its own Error type
            if "No session with given id" in str(e):
                target.detached = True  # gone before its detach event came in
                raise gone from e
            raise WorkletDevtoolsError(f"{method}: DevTools refused the call: {e}") from e
        deadline = time.monotonic() + self._call_timeout_s
        while call_id not in self._replies:
            if target.detached:  # it went away before it replied
                raise gone
            if time.monotonic() > deadline:
                raise WorkletDevtoolsError(
                    f"{method}: no reply from the worklet {target.target_id} in "
                    f"{self._call_timeout_s:g} s (is its thread stuck?)"
                )
            self._page.wait_for_timeout(_POLL_MS)
        reply = self._replies.pop(call_id)
        if "error" in reply:
            raise WorkletDevtoolsError(f"{method}: the worklet answered {reply['error']}")
        return reply["result"]

    def _current(self, method: str) -> _Target:
        if self._cdp is None:
            raise WorkletDevtoolsError(f"{method}: this DevTools session is closed")
        if self._selected is None:
            raise WorkletDevtoolsError(
                f"{method}: no AudioWorklet selected; call wait_for_audio_worklet() first"
            )
        return self._selected

    def _probe(self, target: _Target) -> bool:
        try:
            found = self._call(
                target,
                "Runtime.evaluate",
                {"expression": AUDIO_WORKLET_PROBE, "returnByValue": True},
            )
        except WorkletDevtoolsError:
            if target.detached:
                return False
            raise
        return found["result"].get("value") is True

    # -- the API -----------------------------------------------------------

    @property
    def target_id(self) -> str | None:
        """The DevTools target id of the selected AudioWorklet (None before one is)."""
        return None if self._selected is None else self._selected.target_id

    def wait_for_audio_worklet(self, timeout_s: float = WAIT_TIMEOUT_S) -> str:
        """Select the newest AudioWorklet attached after the one selected
        before (any, the first time), waiting up to ``timeout_s`` (plus at most
        one call's timeout) for one to appear; returns its target id."""
        timeout_s = _check_timeout("the wait for an AudioWorklet", timeout_s)
        after = -1 if self._selected is None else self._selected.order
        deadline = time.monotonic() + timeout_s
        while True:
            fresh = [t for t in self._targets.values() if t.order > after and not t.detached]
            for target in sorted(fresh, key=lambda t: -t.order):
                if target.is_audio is None:
                    target.is_audio = self._probe(target)
                if target.is_audio:
                    self._selected = target
                    self._call(target, "HeapProfiler.enable")
                    return target.target_id
            if time.monotonic() > deadline:
                since = "" if self._selected is None else " since the last one"
                raise WorkletDevtoolsError(
                    f"no AudioWorklet attached to the page{since} in {timeout_s:g} s "
                    f"({len(fresh)} other worklet(s)): create the AudioContext and await "
                    "audioWorklet.addModule() after making this session, before waiting"
                )
            self._page.wait_for_timeout(_POLL_MS * 10)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the selected AudioWorklet's
        global scope (returned by value; an exception raised by it is an error)."""
        reply = self._call(
            self._current("Runtime.evaluate"),
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True},
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise WorkletDevtoolsError(f"{expression!r} threw in the AudioWorklet: {text}")
        return reply["result"].get("value")

    def heap_usage(self) -> dict[str, int]:
        """``Runtime.getHeapUsage`` of the selected AudioWorklet isolate, in
        bytes, with the keys Chromium gives (``usedSize``, ``totalSize`` and,
        in newer ones, ``embedderHeapUsedSize``, ``backingStorageSize``)."""
        usage = self._call(self._current("Runtime.getHeapUsage"), "Runtime.getHeapUsage")
        return {key: int(value) for key, value in usage.items()}

    def start_sampling(self, interval_bytes: int = SAMPLING_INTERVAL_BYTES) -> None:
        """Start V8's sampling heap profiler in the selected AudioWorklet, one
        sample per ``interval_bytes`` allocated on average, keeping objects
        garbage collections have freed since."""
        if not (
            isinstance(interval_bytes, int) and 1 <= interval_bytes <= MAX_SAMPLING_INTERVAL_BYTES
        ):
            raise LimitError(
                f"the sampling interval must be 1 to {MAX_SAMPLING_INTERVAL_BYTES} bytes, "
                f"got {interval_bytes!r}"
            )
        self._call(
            self._current("HeapProfiler.startSampling"),
            "HeapProfiler.startSampling",
            {
                "samplingInterval": interval_bytes,
                "includeObjectsCollectedByMajorGC": True,
                "includeObjectsCollectedByMinorGC": True,
            },
        )

    def stop_sampling(self) -> dict[str, Any]:
        """Stop the sampling heap profiler; its profile (``head``, ``samples``),
        for :func:`attributed_allocations`."""
        reply = self._call(self._current("HeapProfiler.stopSampling"), "HeapProfiler.stopSampling")
        return dict(reply["profile"])

    def close(self) -> None:
        """Detach from the page (once; later calls raise WorkletDevtoolsError)."""
        cdp, self._cdp = self._cdp, None
        self._selected = None
        if cdp is not None:
            # The page or its browser may have closed already.
            with contextlib.suppress(Exception):
                cdp.detach()
