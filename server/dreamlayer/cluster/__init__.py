"""A studio's dream server on Ray: the same front (Flask, the ``/v1`` API, tokens, jobs), its jobs dreamed by Ray
workers on every GPU, or every few CPU cores, of every machine in the cluster.

``dreamlayer serve --cluster ADDRESS`` (or ``auto``) is the only way in: without it nothing here is imported, nor
Ray. The pieces:

- ``connect.py``: joins (or, for ``auto``, starts) the Ray cluster, counts its GPUs or cores and starts the workers.
- ``worker.py``: the Ray actor. One device, its models loaded once and kept, one job at a time, run by the very
  ``DreamRunner`` a single-machine server uses, so the pixels are the same.
- ``shipping.py``: what crosses to a worker (the parsed request; a video's frames as Ray objects) and what comes
  back (progress, previews, frames, the film, the result), as typed events.
- ``pool.py``: which workers are free, and a lost one's way back.
- ``runner.py``: the front's side of a job: a free worker, the events relayed to the job queue, cancel passed on,
  and a job whose worker was lost run again once on another.

Why Ray Core actors rather than Ray Serve: a dream job is a long, stateful, cancellable run that streams progress
and frames, which an actor's streaming generator carries as it is, while Ray Serve is built for short stateless
requests behind its own HTTP front, and dreamlayer keeps its own front (security, tokens, job ids, previews, SSE).
"""

from .connect import ClusterOptions, start_cluster
from .runner import ClusterRunner

__all__ = ["ClusterOptions", "ClusterRunner", "start_cluster"]
