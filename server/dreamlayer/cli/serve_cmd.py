"""``dreamlayer serve``: the local dream server the editor plugins talk to."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import time

from dreamlayer_editor.protocol import DEFAULT_PORT
from ..errors import InvalidParameter
from .checks import number


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="run the local dream server for the Krita and GIMP plugins",
                                 description="Run the local dream server. It listens on 127.0.0.1 only, unless told otherwise.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s); any other needs a token")
    # Every number is checked against its range by its type, so a wrong one stops here, in one line of argparse's.
    parser.add_argument("--port", type=number(int, 1, 65535), default=DEFAULT_PORT, help="port (default: %(default)s)")
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--token", help="require this bearer token (visible to other local users in the process list)")
    token.add_argument("--token-file", metavar="FILE", help="require the bearer token stored in FILE (readable by you only)")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    parser.add_argument("--max-queued", type=number(int, 1), default=8, help="dreams that may wait (default: %(default)s)")
    parser.add_argument("--max-pixels", type=number(int, 1), default=8192 * 8192, help="largest picture accepted, in pixels (default: %(default)s)")
    parser.add_argument("--result-memory", type=number(int, 1), default=1024, metavar="MIB",
                        help="memory for finished results kept for fetching, in MiB (default: %(default)s); "
                             "beyond it the oldest are dropped before their 10 minutes are up")
    parser.add_argument("--film-folder", metavar="DIR",
                        help="where zoom and video jobs write their frames and films, in a folder of the server's own "
                             "(default: the system's temp folder); it is removed when the server stops")
    parser.add_argument("--film-disk", type=number(float, 0, above=True), metavar="GIB",
                        help="the most disk the films may take together, in GiB (default: whatever the disk has free)")
    parser.add_argument("--gpu-memory", type=number(float, 0, above=True), metavar="GIB",
                        help="GPU memory a dream may plan for (default: 85%% of what the card has free); pictures "
                             "whose network view fits are dreamed whole, larger ones in tiles")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="on a CUDA GPU, skip choosing kernels and capturing graphs for common sizes at start-up")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the network for each new size (tens of seconds each; off by default)")
    cluster = parser.add_argument_group("a studio's server on Ray (pip install 'dreamlayer[cluster]'; see the README)")
    cluster.add_argument("--cluster", metavar="ADDRESS",
                         help="dream on the Ray cluster whose head is ADDRESS (HOST:6379, as `ray start --head` "
                              "printed it), or 'auto': the Ray running on this machine, else one started for the "
                              "server. Each GPU gets a worker; a cluster without GPUs gets CPU workers")
    cluster.add_argument("--worker-cpus", type=number(int, 1), default=1, metavar="N",
                         help="with --cluster and no GPU: the cores each worker takes (default: %(default)s)")
    cluster.add_argument("--workers", type=number(int, 1), metavar="N",
                         help="with --cluster: at most N workers (default: one per GPU, or per --worker-cpus cores)")
    parser.add_argument("--log-file", metavar="FILE", help="write the server's log to FILE (appending) instead of the terminal")
    parser.add_argument("--parent-pid", type=number(int, 1), metavar="PID",
                        help="stop when process PID ends (the editor plugins pass their editor's, so no server is orphaned)")
    parser.add_argument("--idle-exit", type=number(float, 0, above=True), metavar="SECONDS",
                        help="stop after SECONDS with no dream and no request (GIMP's managed server uses this)")
    parser.set_defaults(run=run)


def check_host(host: str) -> None:
    """Refuse a --host that is not one of this computer's addresses, nor a name for one: binding it fails the way
    the port check would take for a port held by another program."""
    address = host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))  # any free port: only the address is in question here
            return
        except socket.gaierror:
            unknown = ", nor a name this computer knows"
        except OSError as exc:
            if exc.errno != errno.EADDRNOTAVAIL:
                raise InvalidParameter(f"Can't listen on --host {host}: {exc.strerror}.") from None
            unknown = ""
    raise InvalidParameter(f"--host {host} is not an address of this computer{unknown}. Give one of its own: "
                           "127.0.0.1 (this computer only), 0.0.0.0 (every network) or one network card's address.")


def read_token(args: argparse.Namespace) -> str | None:
    from ..server.startup import read_token_file  # standard library only: no torch yet

    return read_token_file(args.token_file) if args.token_file else args.token


def log_to_file(path: str) -> None:
    """Everything the server prints (its log, waitress's, any traceback) goes to ``path`` from here on."""
    import datetime

    from .. import __version__

    try:
        log = open(path, "a", buffering=1, encoding="utf-8")
    except OSError as exc:
        raise InvalidParameter(f"Can't write the log file '{path}': {exc.strerror}.") from None
    log.write(f"\n--- dreamlayer {__version__} serve, process {os.getpid()}, {datetime.datetime.now():%Y-%m-%d %H:%M:%S}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)


def check_cluster(address: str) -> None:
    """--cluster needs Ray, and a Ray head that answers at ADDRESS: say so at once, before anything loads (Ray itself
    would try for minutes)."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise InvalidParameter("--cluster needs Ray, which is not installed here. Install dreamlayer's cluster extra "
                               "(pip install 'dreamlayer[cluster]', or -e '.[cluster]' in a checkout) on every "
                               "machine of the cluster.")
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidParameter(f"--cluster {address}: give the Ray head's HOST:PORT, as `ray start --head` printed it "
                               "(such as 192.168.1.20:6379), or auto.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=3).close()
    except OSError as exc:
        raise InvalidParameter(f"No Ray head answers at {address} ({exc.strerror or exc}). Start it there first with "
                               "`ray start --head --port=6379`, or give --cluster auto for one on this machine.") from None


def where(app) -> str:
    services = app.extensions["dreamlayer"]
    return services.cluster.description if services.cluster else str(services.runner.device)


def run(args: argparse.Namespace) -> int:
    from ..server.startup import check_bind, check_film_folder, check_port
    from .dream_cmd import check_device

    check_device(args.device)
    if args.cluster:
        check_cluster(args.cluster)
    elif args.workers or args.worker_cpus != 1:
        raise InvalidParameter("--workers and --worker-cpus are for a cluster: give --cluster ADDRESS (or auto) too.")
    check_host(args.host)
    token = read_token(args)
    check_bind(args.host, token)  # these checks come before torch and the model load: a bad start fails fast
    if args.film_folder:
        check_film_folder(args.film_folder)
    check_port(args.host, args.port)
    if args.log_file:
        log_to_file(args.log_file)

    started = time.perf_counter()
    from ..server import create_app
    from ..server.serve import serve
    from ..server.shutdown import say_on_stderr

    imported = time.perf_counter()
    app = create_app({"HOST": args.host, "PORT": args.port, "TOKEN": token, "DEVICE": args.device,
                      "MAX_QUEUED": args.max_queued, "MAX_PIXELS": args.max_pixels,
                      "MAX_KEPT_BYTES": args.result_memory * 2**20, "GPU_MEMORY_BUDGET": args.gpu_memory,
                      "FILM_FOLDER": args.film_folder,
                      "FILM_DISK": int(args.film_disk * 2**30) if args.film_disk is not None else None,
                      "WARM_UP": args.warm_up, "COMPILE": args.compile, "CLUSTER": args.cluster,
                      "WORKER_CPUS": args.worker_cpus, "CLUSTER_WORKERS": args.workers})
    ready = time.perf_counter()
    # What the artist waits for when a plugin starts the server: bench/bench_serve_start.py reads this line.
    say_on_stderr(f"ready in {ready - started:.2f} s: torch and the server's code {imported - started:.2f} s, "
                  f"{'the workers and their model' if args.cluster else 'the model and its warm-up'} {ready - imported:.2f} s, "
                  f"on {where(app)}.")
    code = serve(app, args.host, args.port, parent_pid=args.parent_pid, idle_exit=args.idle_exit)
    # serve() has stopped the worker and closed every connection. Tearing the interpreter down with torch loaded
    # takes seconds more on a busy machine (its final garbage collection), which broke the promise of exiting
    # within 10 s; nothing is left to clean up, so leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
