"""The server the editor plugins start and look after: started when none answers, reused when one does, never
orphaned (it ends with the editor that started it, or when idle), a port held by another program named clearly,
its log in a file, and bad arguments refused before torch loads."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from dreamlayer_editor import launcher
from dreamlayer_editor.launcher import LaunchError, PortTaken, ServerLauncher, probe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def test_a_started_server_ends_with_the_program_that_started_it(tmp_path):
    """What happens when Krita is killed: the server it started watches its process and leaves."""
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    log = tmp_path / "server.log"
    managed = ServerLauncher(sys.executable, log, port=free_port(), device="cpu", parent_pid=editor.pid)
    try:
        assert managed.ensure_running() is True  # it started one
        assert probe("127.0.0.1", managed.port) == "dreamlayer"
        # Another plugin instance finds it running and uses it, without starting another or owning it.
        other = ServerLauncher(sys.executable, log, port=managed.port)
        assert other.ensure_running() is False and not other.running_here
        other.stop()  # never stops a server it did not start
        assert probe("127.0.0.1", managed.port) == "dreamlayer"

        editor.kill()  # as SIGKILL: no goodbye from the editor
        editor.wait()
        wait_until(lambda: managed.process.poll() is not None, 20, "the server did not end after its editor")
        assert managed.process.returncode == 0
        assert probe("127.0.0.1", managed.port) == "free"
        assert "has ended" in log.read_text() and "stopped." in log.read_text()
    finally:
        editor.kill()
        managed.stop()


def test_an_idle_server_leaves_by_itself_and_requests_keep_it(tmp_path):
    """GIMP's managed server: it stays for the next call, and leaves when nobody has used it for a while."""
    managed = ServerLauncher(sys.executable, tmp_path / "server.log", port=free_port(), device="cpu", idle_exit=3)
    try:
        managed.ensure_running()
        for _ in range(8):  # 4 s of calls, longer than the idle time
            assert probe("127.0.0.1", managed.port) == "dreamlayer"
            time.sleep(0.5)
        wait_until(lambda: managed.process.poll() is not None, 20, "the idle server did not leave")
        assert "nobody has used it for 3 s" in (tmp_path / "server.log").read_text()
    finally:
        managed.stop()


def test_a_port_held_by_another_program_is_named_and_left_alone(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        managed = ServerLauncher(sys.executable, tmp_path / "server.log", port=port)
        with pytest.raises(PortTaken, match=f"Port {port} is used by another program"):
            managed.ensure_running()
        assert managed.process is None
        run = subprocess.run([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 2 and f"Port {port} is used by another program" in run.stderr
        assert "Traceback" not in run.stderr


def test_a_server_that_cannot_start_says_why_and_where_its_log_is(tmp_path):
    log = tmp_path / "server.log"
    with pytest.raises(LaunchError, match="not there"):
        ServerLauncher(str(tmp_path / "no-python"), log, port=free_port()).ensure_running()
    failing = ServerLauncher(sys.executable, log, port=free_port(), device="tpu")
    with pytest.raises(LaunchError) as failure:
        failing.ensure_running()
    assert str(log) in str(failure.value) and "Unknown device 'tpu'" in str(failure.value)


def test_the_idle_time_reaches_the_server_as_given(tmp_path):
    command = ServerLauncher(sys.executable, tmp_path / "log", idle_exit=0.5).command()
    assert command[command.index("--idle-exit") + 1] == "0.5"  # not cut to 0, which the server refuses


def test_a_long_log_is_kept_as_old_before_a_start(tmp_path):
    log = tmp_path / "server.log"
    log.write_bytes(b"x" * (launcher.LOG_KEEP_BYTES + 1))
    with pytest.raises(LaunchError):
        ServerLauncher(sys.executable, log, port=free_port(), device="tpu").ensure_running()
    assert (tmp_path / "server.log.old").stat().st_size == launcher.LOG_KEEP_BYTES + 1
    assert "Unknown device 'tpu'" in log.read_text()  # the new start's log begins afresh


@pytest.mark.parametrize("args", [["--port", "nope"], ["--idle-exit", "0"], ["--host", "0.0.0.0"],
                                  ["--log-file", "/nonexistent/folder/log.txt"]])
def test_bad_arguments_are_refused_before_torch_loads(args):
    code = ("import sys; from dreamlayer.cli import main\n"
            "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exit:\n    code = exit.code\n"
            "assert code == 2, code; assert 'torch' not in sys.modules, 'torch was imported'")
    run = subprocess.run([sys.executable, "-c", code, "serve", *args], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
