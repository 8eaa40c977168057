"""The device turn: a live dream gets it at the holder's next step, and before anyone else waiting."""

from __future__ import annotations

import threading
import time

from dreamlayer.server.device_turn import DeviceTurn


def test_the_device_turn_goes_to_a_live_dream_at_the_holder_s_next_step():
    turn, order = DeviceTurn(), []
    holding, live_done = threading.Event(), threading.Event()

    def long_job() -> None:
        with turn.taken():
            holding.set()
            for step in range(400):
                order.append(f"step{step}") if step % 50 == 0 else None
                if live_done.is_set():
                    order.append("job saw the live dream done")
                    return
                turn.between_steps()
                time.sleep(0.005)

    def live() -> None:
        with turn.first():
            order.append("live")
        live_done.set()

    job = threading.Thread(target=long_job)
    job.start()
    assert holding.wait(5)
    live_thread = threading.Thread(target=live)
    live_thread.start()
    job.join(10)
    live_thread.join(10)
    assert "live" in order and order[-1] == "job saw the live dream done"
    assert order.index("live") < len(order) - 1  # during the job, not after it


def test_a_plain_taker_waits_for_the_live_dreams_already_waiting():
    turn, order = DeviceTurn(), []
    gate, holding = threading.Event(), threading.Event()

    def holder() -> None:
        with turn.taken():
            holding.set()
            gate.wait(5)
            order.append("holder done")

    def taker(name: str, first: bool) -> None:
        with (turn.first() if first else turn.taken()):
            order.append(name)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert holding.wait(5)
    for name, first in (("plain", False), ("live", True)):
        threads.append(threading.Thread(target=taker, args=(name, first)))
        threads[-1].start()
        time.sleep(0.05)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert order == ["holder done", "live", "plain"]
