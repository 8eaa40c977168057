"""Checks made before the server loads anything heavy, each through `dreamlayer serve` or its own function: no
listening off loopback without a token, a token file only its owner can read, a film folder that can be written,
and enough open files for the connection limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from dreamlayer.errors import InvalidParameter
from dreamlayer.server.startup import InsecureBind, PortInUse, check_bind, check_port, is_loopback, read_token_file


@pytest.mark.parametrize("flag, said", [(["--film-folder", "/proc/no-such-place"], "Can't write films in '/proc/no-such-place'"),
                                        (["--film-disk", "0"], "argument --film-disk: must be a number above 0, not 0")])
def test_serve_refuses_a_film_folder_or_room_it_cannot_use_in_one_line(flag, said):
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free: the refusal is the flag's
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port), *flag], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2 and said in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX open-file limits")
@pytest.mark.parametrize("soft, hard, expected", [(512, 20000, 1000), (300, 600, 600 - 256)])
def test_the_open_file_limit_is_raised_for_the_connection_limit(soft, hard, expected):
    # In a fresh interpreter: lowering the hard limit cannot be undone within a process.
    script = ("import resource; from dreamlayer.server.startup import connection_limit; "
              f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard})); "
              "print(connection_limit(1000), resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    import resource

    current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if current_hard != resource.RLIM_INFINITY and current_hard < hard:
        pytest.skip(f"this machine's hard limit ({current_hard}) is below {hard}")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    limit, raised = map(int, run.stdout.split())
    assert limit == expected and raised == min(hard, 1000 + 256), run.stderr


def test_refuses_to_start_off_loopback_without_a_token():
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "serve", "--host", "0.0.0.0", "--port", "1"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "without an access token" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes; Windows guards files with ACLs")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620, 0o604])
def test_a_token_file_other_users_can_read_or_change_is_refused_before_torch_loads(tmp_path, mode):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-enough-length\n")
    token_file.chmod(mode)
    # The CLI's own entry point, in a fresh interpreter: it must refuse before importing torch (seconds to load).
    script = ("import sys; from dreamlayer.cli import main; "
              f"code = main(['serve', '--host', '0.0.0.0', '--port', '1', '--token-file', {str(token_file)!r}]); "
              "print(code, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert run.stdout.split() == ["2", "False"], run.stdout + run.stderr
    assert f"run `chmod 600 {token_file}` and start again" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_private_token_file_is_read(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-enough-length\n")
    token_file.chmod(0o600)
    assert read_token_file(str(token_file)) == "s3cret-token-of-enough-length"


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
                                            ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                            ("example.com", False)])
def test_loopback_hosts_are_told_from_the_others(host, loopback):
    assert is_loopback(host) is loopback


def test_off_loopback_needs_a_token():
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-token")
    with pytest.raises(InsecureBind, match="Refusing to listen on 0.0.0.0 without an access token"):
        check_bind("0.0.0.0", None)


def test_a_missing_or_empty_token_file_is_refused_by_name(tmp_path):
    with pytest.raises(InvalidParameter, match="Can't read the token file"):
        read_token_file(str(tmp_path / "nothing"))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(InvalidParameter, match="is empty"):
        read_token_file(str(empty))


def test_a_port_another_program_listens_on_is_named():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(PortInUse, match=f"Port {port} is used by another program"):
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", port)  # free again
