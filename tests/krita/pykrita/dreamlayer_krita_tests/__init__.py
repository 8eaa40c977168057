"""A throwaway plugin for the test suite: once Krita's window is up, run tests/krita/krita_cases.py, then quit
(when the cases say they are finished: some of them go on from Krita's event loop).

Real Krita under Xvfb, with dreamlayer_krita loaded the way a user's Krita loads it; a window is needed for
views (undo, importing animation frames). Configured by DREAMLAYER_TEST_* environment variables.
"""

import os
import sys
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


def quit_krita():
    os._exit(0)  # Krita tends to crash while tearing down; the results are already written


Krita.instance().addExtension(RunCases(Krita.instance()))
