"""bench/bench_live.py's strokes, inside real Krita: Live on through the docker's switch, then strokes painted by
script, each timed from its last dab to the live layer showing the live dream of it; then Krita and the server are
left idle for a while. Imported by krita_cases.py; stdlib and Krita's Qt only. What it measures goes into the case's
result; bench_live.py (and its quick mode in the tests) reads it.

A stroke is DABS dabs of DAB pixels along a short line, DAB_SECONDS apart, as a brush leaves them. Its latency runs
from its last dab to the first live dream shown of an offer made after that dab: the live dream of the stroke.
"""

import json
import os
import random
import time

from docker_cases import connect_docker, settle, wait_until
from live_cases import big_document, ctl, dab

DABS, DAB, DAB_SECONDS = 6, 40, 0.03
REST_SECONDS = 1.0  # between a stroke's live dream and the next stroke
# Then a burst: strokes this far apart, longer than the pause and shorter than a live dream, so each new stroke's
# live dream supersedes the one under way; its latency is the last stroke's.
BURST, BURST_SECONDS = 6, 0.5
IDLE_SECONDS = 5.0  # Live on, nothing painted: what Krita and the server do meanwhile


def _health(server):
    from dreamlayer_editor.client import DreamClient

    return DreamClient(server).health()["live"]


def _timed_shows():
    """Each time the live layer is painted with a live dream, when (time.monotonic())."""
    import dreamlayer_krita.live_watch as watch

    shown_at, show = [], watch.show_live_dream

    def timed(*args, **kwargs):
        show(*args, **kwargs)
        shown_at.append(time.monotonic())

    watch.show_live_dream = timed
    return shown_at


def _stroke(doc, source, rng, size):
    x, y = rng.randrange(DAB, size - 4 * DAB), rng.randrange(DAB, size - 4 * DAB)
    colour = tuple(rng.randrange(256) for _ in range(3))
    for n in range(DABS):
        dab(source, x + n * DAB // 2, y + n * DAB // 3, DAB, colour)
        doc.refreshProjection()
        settle(DAB_SECONDS) if n < DABS - 1 else None
    return time.monotonic()


def _counts(before, after):
    return {key: after[key] - before[key] for key in ("dreamed", "unchanged", "superseded", "failed")}


def _burst(doc, source, rng, size, spot, shown_at):
    """BURST strokes BURST_SECONDS apart, then the time from the last one to its live dream."""
    settle(REST_SECONDS)
    for _ in range(BURST):
        ended = _stroke(doc, source, rng, size)
        offers_at_end = spot.offers
        settle(BURST_SECONDS)
    wait_until(lambda: spot.shown_offer > offers_at_end, 60, "the burst's last live dream")
    return {"strokes": BURST, "apart": BURST_SECONDS, "latency": round(shown_at[-1] - ended, 4)}
    yield  # a generator, as the cases are


def strokes_case(krita, server):
    sizes = [int(s) for s in os.environ.get("DREAMLAYER_BENCH_SIZES", "1024").split(",")]
    strokes = int(os.environ.get("DREAMLAYER_BENCH_STROKES", "3"))
    docker = connect_docker(krita, server)
    shown_at = _timed_shows()
    out = {"sizes": {}}
    for size in sizes:
        rng = random.Random(size)
        doc, source = yield from big_document(krita, f"bench{size}", size)
        before = _health(server)
        docker.live.live_button.click()
        wait_until(lambda: ctl().live.spot is not None and ctl().live.spot.shown_offer > 0, 300, "the first live dream")
        first_offers = ctl().live.spot.offers
        latencies, missed = [], 0
        for _ in range(strokes):
            settle(REST_SECONDS)
            spot = ctl().live.spot
            shows_before = len(shown_at)
            ended = _stroke(doc, source, rng, size)
            offers_at_end = spot.offers
            try:
                wait_until(lambda: spot.shown_offer > offers_at_end, 60, "the stroke's live dream")
            except AssertionError:
                missed += 1
                continue
            latencies.append(round(shown_at[-1] - ended, 4) if len(shown_at) > shows_before else None)
        spot = ctl().live.spot
        measured = _health(server)
        burst = yield from _burst(doc, source, rng, size, spot, shown_at)
        spot = ctl().live.spot
        idle_from, krita_cpu = time.time(), time.process_time()
        settle(IDLE_SECONDS)
        krita_idle = (time.process_time() - krita_cpu) / IDLE_SECONDS
        idle = (idle_from, time.time())
        after = _health(server)
        out["sizes"][str(size)] = {
            "latencies": latencies, "missed": missed, "offers": spot.offers - first_offers,
            "server": _counts(before, measured), "krita_cpu_idle": round(krita_idle, 4), "idle_window": idle,
            "burst": {**burst, "server": _counts(measured, after)}}
        docker.live.live_button.click()  # Live off: the live layer goes
        doc.setModified(False)  # left open: closing a document from Python can take Krita 5.1 down
    path = os.environ.get("DREAMLAYER_BENCH_OUT")
    if path:
        with open(path, "w") as f:
            json.dump(out, f)
    return out
