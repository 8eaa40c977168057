"""Inside Krita (kritarunner): time dreamlayer_krita.dream on a square layer, from the call to the added layer."""

import json
import os
import sys
import time


def run(*_args):
    sys.path.insert(0, os.environ["DREAMLAYER_TEST_PLUGINS"])
    from krita import Krita

    import dreamlayer_krita

    krita, size = Krita.instance(), int(os.environ["DREAMLAYER_BENCH_SIZE"])
    doc = krita.openDocument(os.environ["DREAMLAYER_BENCH_IMAGE"])
    doc.scaleImage(size, size, 72, 72, "Bicubic")
    doc.waitForDone()
    node = doc.rootNode().childNodes()[0]
    start = time.perf_counter()
    layer = dreamlayer_krita.dream(doc, node, server_url=os.environ["DREAMLAYER_TEST_SERVER"], preset="classic", seed=0)
    seconds = time.perf_counter() - start
    with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
        json.dump({"krita": krita.version(), "seconds": seconds, "layer": layer.name(), "size": [doc.width(), doc.height()]}, f)
    return 0
