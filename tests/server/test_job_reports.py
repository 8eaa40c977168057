"""What a running job tells its queue: progress wakes its followers, and a cluster's restart forgets what the lost
attempt made (its frames on disk, its film, its progress and preview) and says why in the job's status."""

from __future__ import annotations

from dreamlayer.engine import Progress
from dreamlayer.server.films import FilmFolder
from dreamlayer.server.job import status
from dreamlayer.server.jobs import JobQueue


def never_runs(job, queue):
    raise AssertionError("not started in these tests")


def test_a_restart_forgets_what_the_lost_attempt_made_and_says_why(tmp_path):
    queue = JobQueue(never_runs)
    store = FilmFolder(tmp_path).new_store("zoom film", 4, 32, 24)
    job = queue.submit(object(), kind="zoom", store=store)
    queue.report_worker(job, "worker-1")
    queue.report_progress(job, Progress(3, 6, 1, 2, 0.4))
    for _ in range(2):
        queue.report_frame(job, b"\x89PNG one frame")
    store.film_path("mp4").write_bytes(b"half a film")
    before = job.version
    queue.report_restart(job, "Worker worker-1 was lost while running this job.")
    told = status(job, 0)
    assert told["retries"] == 1 and told["notice"].startswith("Worker worker-1 was lost")
    assert told["worker"] is None and told["progress"]["step"] == 0 and not told["has_preview"]
    assert told["frames"]["done"] == 0 and store.frame(0) is None and not list(store.path.iterdir())
    assert store.held == 0 and job.version > before  # followers are woken to see it
    queue.report_worker(job, "worker-2")
    queue.report_frame(job, b"\x89PNG again")
    assert status(job, 0)["worker"] == "worker-2" and store.count == 1 and store.frame(0).read() == b"\x89PNG again"


def test_a_job_on_one_machine_has_no_worker_and_no_retries():
    queue = JobQueue(never_runs)
    job = queue.submit(object())
    told = status(job, 1)
    assert (told["worker"], told["retries"], told["notice"]) == (None, 0, None)
