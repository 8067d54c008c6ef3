"""A loop-lag watchdog for a ``sharedhash serve`` process (diagnosis, not a benchmark; issue 18).

    PYTHONPATH=bench/loopwatch SHAREDHASH_LOOPWATCH_LOG=/tmp/loop.log python bench/abuse.py --only loop

Python imports this file at start-up (``sitecustomize``) in every process that has the folder on its path; it does
something only in a ``serve`` process with ``SHAREDHASH_LOOPWATCH_LOG`` set. A thread asks the event loop to run
a callback every 5 ms and, while it waits, samples the loop thread's stack (``sys._current_frames()``) and the
other threads' top frames; when the callback ran more than 30 ms late it appends to the log: the lag, the
process's CPU time over it (well under the lag: the process was not given a core), the threads that used CPU
(from ``/proc/self/task``), and the most frequent stacks.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
import traceback
from typing import IO, Any

LATE = 0.03
TICK = 0.005


def _thread_ticks() -> dict[int, int]:
    """CPU clock ticks (user + system) of each thread of this process (Linux)."""
    out: dict[int, int] = {}
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            out[int(task)] = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def _watch(loop: Any, loop_thread: int, out: IO[str]) -> None:
    me = threading.get_ident()
    while True:
        ran = threading.Event()
        began, ticks, cpu = time.perf_counter(), _thread_ticks(), time.process_time()
        loop.call_soon_threadsafe(ran.set)
        stacks: collections.Counter[str] = collections.Counter()
        others: collections.Counter[str] = collections.Counter()
        while not ran.wait(TICK):
            frames = sys._current_frames()
            if loop_thread in frames:
                stacks["".join(traceback.format_stack(frames[loop_thread])[-5:])] += 1
            for thread in threading.enumerate():
                if thread.ident not in (None, loop_thread, me) and thread.ident in frames:
                    top = "".join(traceback.format_stack(frames[thread.ident])[-2:])
                    others[f"{thread.name}:\n{top}"] += 1
        lag = time.perf_counter() - began
        if lag > LATE:
            names = {t.native_id: t.name for t in threading.enumerate()}
            after = _thread_ticks()
            busy = sorted(((after[t] - ticks.get(t, 0), str(names.get(t, t))) for t in after), reverse=True)[:4]
            used = (time.process_time() - cpu) * 1000
            out.write(f"=== lag {lag * 1000:.0f} ms at {time.time():.3f}; process CPU {used:.0f} ms; ticks {busy}\n")
            for stack, n in stacks.most_common(2):
                out.write(f"--- loop thread x{n}\n{stack}")
            for stack, n in others.most_common(3):
                out.write(f"+++ x{n} {stack}")
            out.flush()
        time.sleep(TICK)


def _install(log_path: str) -> None:
    import asyncio

    import uvicorn.server

    original = uvicorn.server.Server.serve

    async def serve(self: uvicorn.server.Server, *args: Any, **kwargs: Any) -> None:
        out = open(log_path, "a")  # noqa: SIM115 - the watchdog's for the process's life
        loop = asyncio.get_running_loop()
        threading.Thread(target=_watch, args=(loop, threading.get_ident(), out), daemon=True, name="loopwatch").start()
        await original(self, *args, **kwargs)

    uvicorn.server.Server.serve = serve  # type: ignore[method-assign]


if os.environ.get("SHAREDHASH_LOOPWATCH_LOG") and "serve" in sys.argv:
    _install(os.environ["SHAREDHASH_LOOPWATCH_LOG"])
