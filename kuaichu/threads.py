"""Worker threads that yield the CPU to the event loop.

On a small machine the loop and its threads share a core or two; threads at a lower scheduling priority
(Linux nice is per thread) let the loop preempt them as soon as it wakes, so hashing or parsing a photo
in the background never shows up as event-loop lag.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

BACKGROUND_NICE = 10


def _lower_priority() -> None:
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def background_executor(workers: int, name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix=name, initializer=_lower_priority)
