"""A throwaway plugin for the test suite: once Krita's window is up, run tests/krita/krita_cases.py, then end
Krita (when the cases say they are finished: some of them go on from Krita's event loop).

Real Krita under Xvfb, with dreamlayer_krita loaded the way a user's Krita loads it; a window is needed for
views (undo, importing animation frames). Configured by DREAMLAYER_TEST_* environment variables;
DREAMLAYER_TEST_END says how Krita ends: "exit" (at once, the default: Krita tends to crash while tearing down,
and the results are already written), "quit" (File > Quit, as an artist quits) or "kill" (SIGKILL, as a crash).
"""

import os
import signal
import sys
import threading
import traceback

from krita import Extension, Krita


class RunCases(Extension):
    def setup(self):
        Krita.instance().notifier().windowCreated.connect(self.run)

    def createActions(self, window):
        pass

    def run(self):
        sys.path.insert(0, os.environ["DREAMLAYER_TEST_CASES"])
        import krita_cases

        try:
            krita_cases.run_all(finished=quit_krita)
        except BaseException:
            traceback.print_exc()
            quit_krita()


QUIT_SECONDS = 60  # a File > Quit that has not ended Krita by then is stuck (a dialog?): say so and leave


def quit_krita():
    end = os.environ.get("DREAMLAYER_TEST_END", "exit")
    if end == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if end != "quit":
        os._exit(0)
    threading.Thread(target=stuck, daemon=True).start()
    for document in Krita.instance().documents():
        document.setModified(False)  # no "save changes?" question
    Krita.instance().action("file_quit").trigger()


def stuck():
    import faulthandler
    import time

    time.sleep(QUIT_SECONDS)
    with open(os.environ["DREAMLAYER_TEST_OUT"] + ".stuck", "w") as f:
        f.write(f"File > Quit did not end Krita within {QUIT_SECONDS} s; Python's threads then:\n")
        f.flush()
        faulthandler.dump_traceback(file=f, all_threads=True)
    os._exit(3)


Krita.instance().addExtension(RunCases(Krita.instance()))
