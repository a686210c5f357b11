"""Nothing a module does hangs the host: every wasm call, and instantiation
(the start function), runs under wasmtime's epoch interruption with a
deadline derived from the work asked for (``dawg_process``: base + factor x
the audio it renders; anything else: base). Past it the call is interrupted,
DspTimeoutError names the export and the deadline, and the instance refuses
every later call. Ctrl-C during a long wasm call interrupts it at once.

Deadlines are shortened per engine (``deadline_base_s``) so these tests take
about a second each; the defaults live in ``dawgwasm._limits``."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from dawgwasm import DspRuntimeError, DspTimeoutError, Engine
from dawgwasm._wasm_runtime import load_wasm
from tests.hostile_modules import LOOP_FOREVER, hostile_module
from tests.wasm.children import ROOT, child_env, python_child

LOOPING_PROCESS = hostile_module(bodies={"dawg_process": LOOP_FOREVER})


def test_a_looping_process_call_is_interrupted_at_its_deadline() -> None:
    """64 quanta of 128 frames at 8 kHz are 1.024 s of audio: with base 0.25 s
    and factor 1 the deadline is 1.274 s."""
    e = Engine.from_wasm(
        LOOPING_PROCESS,
        deadline_base_s=0.25,
        deadline_realtime_factor=1.0,
        sample_rate_hz=8000.0,
        quantum_frames=128,
        max_quanta=64,
    )
    with pytest.raises(DspTimeoutError, match=r"dawg_process ran past its deadline of 1.27 s"):
        e.process(64)


def test_an_interrupted_instance_refuses_every_later_call() -> None:
    e = Engine.from_wasm(LOOPING_PROCESS, deadline_base_s=0.2, deadline_realtime_factor=0.0)
    with pytest.raises(DspTimeoutError):
        e.process(1)
    with pytest.raises(DspRuntimeError, match=r"unusable since dawg_process ran past its deadline"):
        e.set("gain_db", -6.0)
    e.close()  # closing a failed engine is quiet: its state is not touched


def test_a_looping_start_function_is_interrupted_while_loading() -> None:
    with pytest.raises(DspTimeoutError, match=r"the start function ran past its deadline of 0.2 s"):
        load_wasm(hostile_module(start=LOOP_FOREVER), deadline_base_s=0.2)


@pytest.mark.parametrize("export", ["dawg_abi_version", "dawg_param_count", "dawg_limit_quiet"])
def test_a_looping_table_export_is_interrupted_while_loading(export: str) -> None:
    with pytest.raises(DspTimeoutError, match=rf"{export} ran past its deadline of 0.2 s"):
        load_wasm(hostile_module(bodies={export: LOOP_FOREVER}), deadline_base_s=0.2)


@pytest.mark.parametrize(
    "export", ["dawg_set_param", "dawg_reset", "dawg_output_ptr", "dawg_engine_new"]
)
def test_every_other_export_gets_the_base_deadline(export: str) -> None:
    def create_and_use() -> None:
        e = Engine.from_wasm(hostile_module(bodies={export: LOOP_FOREVER}), deadline_base_s=0.2)
        e.set("gain_db", -6.0)
        e.reset()
        _ = e.output

    with pytest.raises(DspTimeoutError, match=rf"{export} ran past its deadline of 0.2 s"):
        create_and_use()


CHILD_IN_A_LOOP = """
    import os, signal, socket, sys
    from dawgwasm import DspRuntimeError, Engine
    from tests.hostile_modules import LOOP_FOREVER, hostile_module

    {before}
    # Default deadlines: dawg_process(1) may run 10 s + 1000 x 2.7 ms, so an
    # exit well before that is Ctrl-C's doing.
    e = Engine.from_wasm(hostile_module(bodies={{"dawg_process": LOOP_FOREVER}}))
    print("calling", flush=True)
    {call}
"""


def _interrupt(before: str, call: str) -> subprocess.CompletedProcess[str]:
    """Start a child that enters a looping dawg_process, send it SIGINT once
    it is inside, and wait (60 s at most) for it to end."""
    code = CHILD_IN_A_LOOP.format(before=before, call=call)
    with subprocess.Popen(
        python_child(code),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env(),
        # Ctrl-C as a terminal delivers it, even when this test run was
        # started in the background (SIGINT ignored, and inherited).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "calling", child.communicate()[1]
        time.sleep(0.5)  # let it enter the loop
        child.send_signal(signal.SIGINT)
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            pytest.fail(f"the child ignored Ctrl-C in a wasm loop; stderr: {err[-2000:]}")
        return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def test_ctrl_c_interrupts_a_looping_wasm_call_promptly() -> None:
    """Uncaught, the KeyboardInterrupt ends the child the way Ctrl-C ends any
    Python program (killed by SIGINT: shell status 130), with no core dump."""
    proc = _interrupt("", "e.process(1)")
    assert proc.returncode == -signal.SIGINT, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stderr.rstrip().endswith("KeyboardInterrupt"), proc.stderr[-2000:]
    assert "DspTimeoutError" not in proc.stderr


def test_after_ctrl_c_the_instance_refuses_calls_and_signals_reach_the_previous_wakeup_fd() -> None:
    """Caught, the KeyboardInterrupt leaves an instance that refuses every
    later call; a wakeup fd set before (as asyncio does) is restored and got
    the signal too."""
    before = """
    mine, theirs = socket.socketpair()
    theirs.setblocking(False)
    signal.set_wakeup_fd(theirs.fileno(), warn_on_full_buffer=False)
    """
    call = """
    try:
        e.process(1)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
    try:
        e.process(1)
    except DspRuntimeError as error:
        print("refused:", error, flush=True)
    print("wakeup fd restored:", signal.set_wakeup_fd(-1) == theirs.fileno())
    mine.setblocking(False)
    print("signal forwarded:", signal.SIGINT in mine.recv(64))
    """
    proc = _interrupt(before, call)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    lines = proc.stdout.splitlines()  # after "calling"
    assert lines[0] == "KeyboardInterrupt", proc.stdout
    assert lines[1].startswith("refused: ") and "interrupted by a signal" in lines[1], proc.stdout
    assert lines[2:] == ["wakeup fd restored: True", "signal forwarded: True"], proc.stdout
