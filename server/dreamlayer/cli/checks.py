"""The command line's checks of what it was given, made before torch is imported so that a mistake costs a fraction
of a second: numbers within their range, an input that is a file, an output that is not the input and that can
really be written.

An output is *claimed* before any work: the file (empty) or folder is made, which proves the folder can be written
(permissions, a read-only disk, a file where a folder should be). If the run then fails or is stopped, what the
claim made and nothing has filled yet is removed again, so a mistake leaves no empty file or folder behind; what
the run did write (a film's first frames, a video's kept frames) stays.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ImageReadError, ImageWriteError, InvalidParameter


def number(kind: type[int] | type[float], lo: float, hi: float | None = None, *,
           above: bool = False) -> Callable[[str], int | float]:
    """An argparse ``type`` for a number from ``lo`` (or, with ``above``, more than ``lo``) to ``hi``; anything else
    is refused by argparse with exit status 2 and a sentence saying the range, never a traceback later on."""
    whole = kind is int
    wanted = ("a whole number" if whole else "a number") + (
        f" above {lo:g}" if above else f" from {lo:g} to {hi:g}" if hi is not None else f" of {lo:g} or more")

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, not '{text}'") from None
        low_ok = value > lo if above else value >= lo
        if not (math.isfinite(value) and low_ok and (hi is None or value <= hi)):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}")
        return value

    return parse


def add_overwrite_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="allow OUTPUT to be the input itself, which the result then replaces")


def check_file_given(path: str, what: str, flag: str | None = None) -> None:
    """A missing file or a folder given where one file is wanted, said as such (``flag``: the option it came with)."""
    given_as = f" (given with {flag})" if flag else ""
    if Path(path).is_dir():
        raise ImageReadError(f"'{path}'{given_as} is a folder; give {what}.")
    if not Path(path).exists():
        raise ImageReadError(f"There is no file '{path}'{given_as}.")


def same_file(first: str | Path, second: str | Path) -> bool:
    """Whether two paths name one file: the same path once resolved, or (both existing) the same file on disk."""
    first, second = Path(first), Path(second)
    if first.resolve() == second.resolve():
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist yet
        return False


def check_not_input(source: str | None, output: str, overwrite: bool, what: str = "the input") -> None:
    """Refuse an output that is the input, unless ``--overwrite`` says to replace it."""
    if source is not None and not overwrite and same_file(source, output):
        raise InvalidParameter(f"'{output}' is {what} itself: the result would replace it. Give another output, "
                               "or add --overwrite to replace it.")


@contextmanager
def claimed_output(path: str | Path, folder: bool = False) -> Iterator[Path]:
    """Make the output file (empty; an existing one is left as it is) or folder now, or refuse in plain words.

    Within the block the run does its work; if it fails or is stopped, what this made and nothing filled is
    removed (the output file while it is empty, the empty folders it made)."""
    path = Path(path)
    made: list[Path] = []
    try:
        if folder:
            if path.exists() and not path.is_dir():
                raise ImageWriteError(f"Can't write frames into '{path}': it is a file, not a folder.")
            _make_folder(path, made)
            with tempfile.TemporaryFile(dir=path):  # a folder that exists but can't be written
                pass
        else:
            if path.is_dir():
                raise ImageWriteError(f"Can't write '{path}': it is a folder; give a file name.")
            empty = not path.exists() or path.stat().st_size == 0
            with open(path, "ab"):  # appending nothing leaves an existing file as it was
                pass
            if empty:  # nothing is lost if it is removed again
                made.append(path)
    except OSError as exc:
        _remove_unfilled(made)
        raise ImageWriteError(f"Can't write '{path}': {_why(path, folder, exc)}.") from None
    try:
        yield path
    except BaseException:
        _remove_unfilled(made)
        raise


def _make_folder(path: Path, made: list[Path]) -> None:
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir()
        made.append(folder)


def _remove_unfilled(made: list[Path]) -> None:
    """Remove, newest first, what a claim made and is still empty."""
    for path in reversed(made):
        try:
            if path.is_dir():
                path.rmdir()  # refuses a folder that holds something
            elif path.stat().st_size == 0:
                path.unlink()
        except OSError:
            pass


def _why(path: Path, folder: bool, exc: OSError) -> str:
    if not folder and path.exists():
        return f"the file can't be written ({exc.strerror.lower()})"
    where = next((p for p in (path, *path.parents) if p.exists()), path) if folder else path.parent
    if exc.errno == errno.ENOENT:
        return f"the folder '{where}' does not exist"
    if exc.errno == errno.ENOTDIR:
        return f"'{next(p for p in path.parents if p.exists())}' is a file, not a folder"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the folder '{where}' can't be written ({exc.strerror.lower()})"
    return (exc.strerror or str(exc)).lower()
