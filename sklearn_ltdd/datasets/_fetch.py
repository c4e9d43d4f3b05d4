"""Where data sets live on disk, and downloading them once with a checksum."""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.error import HTTPError, URLError

from sklearn.datasets import fetch_file as _sklearn_fetch_file

from .._arguments import NO_HOME, check_flags, check_path, expanded
from .._fork import renew_after_fork
from .._warnings import warn

__all__ = ["RemoteFile", "fetch_file", "get_data_home", "sha256_of"]

DOWNLOAD_TIMEOUT_S = 60  # a server that sends nothing for this long fails an attempt, not hangs it
_NETWORK_ERRORS = (URLError, ConnectionError, TimeoutError, http.client.HTTPException, ssl.SSLError)
# what a folder one cannot write in, or a full disk, raises: said as such (other OSErrors pass as they are)
_FOLDER_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.ENOTDIR, errno.EEXIST,
                  getattr(errno, "EDQUOT", errno.ENOSPC)}  # fmt: skip
_ONE_DOWNLOAD = threading.Lock()  # the socket timeout is the process's: one download sets it at a time
renew_after_fork(globals(), _ONE_DOWNLOAD=threading.Lock)


@dataclass(frozen=True)
class RemoteFile:
    """A data file: its name under ``data_home/<folder>``, where to download it, its sha256.

    Parameters
    ----------
    folder : str
        The file's folder under the data home.
    filename : str
        The file's name.
    url : str or None
        Where to download it; None for a file made locally, with no public copy.
    sha256 : str or None
        The download's checksum; None where no trustworthy one is published.
    how_to_make : str, default=""
        For a file without a URL: how a user makes one (said where it is missing).

    Examples
    --------
    >>> from sklearn_ltdd.datasets import RemoteFile, fetch_file
    >>> import hashlib, pathlib, tempfile
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> (home / "mine").mkdir()
    >>> _ = (home / "mine" / "data.csv").write_text("smiles,y\\nCCO,0\\n")
    >>> mine = RemoteFile("mine", "data.csv", url=None, sha256=None, how_to_make="Export it from ELN.")
    >>> fetch_file(mine, data_home=home).name  # in place: used as it is
    'data.csv'
    """

    folder: str
    filename: str
    url: str | None  # None: made locally, no public copy to download
    sha256: str | None  # None where no trustworthy checksum is published
    how_to_make: str = ""  # for files without a URL: how a user makes one


#: where a message says the data folder is chosen
_CHOOSE_FOLDER = "(data_home=, the benchmark command's --data-home, or $SKLEARN_LTDD_DATA choose the folder)"


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the data sets: ``data_home``, else ``$SKLEARN_LTDD_DATA``, else
    ``~/sklearn_ltdd_data`` (created if missing).

    Parameters
    ----------
    data_home : str or path, default=None
        The folder; None takes the environment variable or the default.

    Returns
    -------
    data_home : pathlib.Path
        The folder, which exists.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import get_data_home
    >>> get_data_home("/tmp/ltdd-data").name
    'ltdd-data'
    """
    path = _data_home(data_home)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if error.errno not in _FOLDER_ERRNOS:
            raise
        raise _unwritable(error, f"make the data home {path}") from error
    return path


def _data_home(data_home: str | os.PathLike[str] | None) -> Path:
    """:func:`get_data_home`'s folder, not made: a load that finds no file leaves no empty folders."""
    check_path(data_home, "data_home")
    if data_home is not None and not os.fspath(data_home):  # (an unset shell variable, say)
        raise ValueError(
            "data_home (the benchmark command: --data-home) is empty; name a folder ('.' for the working "
            "folder)."
        )
    variable = os.environ.get("SKLEARN_LTDD_DATA", "")
    given = data_home or (variable if variable.strip() else None)  # ("" or " ": a variable set to nothing)
    if given:
        path = expanded(given, "the data home")
    else:
        try:
            path = Path.home() / "sklearn_ltdd_data"
        except RuntimeError:
            raise FileNotFoundError(
                f"the data home defaults to ~/sklearn_ltdd_data, but {NO_HOME}; choose a folder with "
                "data_home= (the benchmark command: --data-home) or $SKLEARN_LTDD_DATA."
            ) from None
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"the data home {path} is a file; data_home (or $SKLEARN_LTDD_DATA) names a folder."
        )
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_in_place(target: Path, remote: RemoteFile) -> None:
    """Refuse a downloadable file in place whose sha256 is not the one ``remote`` documents. A file
    made locally (no URL) is not: remade, its bytes differ (a gzip header's time) though its rows
    do not, and its loader checks its rows."""
    if remote.url is None or remote.sha256 is None or (found := sha256_of(target)) == remote.sha256:
        return
    raise ValueError(
        f"{target} is not the documented {remote.filename}: its sha256 is {found}, expected "
        f"{remote.sha256}. It may be damaged (cut short, a saved web page) or another release; delete it "
        "and load with download=True (the benchmark command: --download) to fetch the documented copy, "
        "or, to read another copy on purpose, pass its path to the loader (path=)."
    )


def fetch_file(
    remote: RemoteFile, data_home: str | os.PathLike[str] | None = None, *, download: bool = False
) -> Path:
    """Path of ``remote`` under the data home, downloading it first when asked and missing.

    The download is sklearn's :func:`sklearn.datasets.fetch_file`: into a temporary file,
    retried on HTTP errors, checked against the sha256, and only then moved into place, so an
    interrupted or corrupted download never poisons the cache. A server that sends nothing for
    60 seconds (``DOWNLOAD_TIMEOUT_S``) fails the attempt (unless ``socket.setdefaulttimeout`` set
    another limit); a file without a checksum that arrives empty, as an HTML page or as one JSON
    object (an API's error) is not kept (a download of one cut at a line's end is its loader's to
    find, by its rows). A
    file already in place that has a URL is checked against the sha256 too (milliseconds for these
    files), so that a damaged or other copy put there by hand is not read as the data set.

    Parameters
    ----------
    remote : RemoteFile
        The file.
    data_home : str or path, default=None
        As in :func:`get_data_home`.
    download : bool, default=False
        Download the file where it is missing; False raises FileNotFoundError, saying from where.

    Returns
    -------
    path : pathlib.Path
        The file's path.

    Examples
    --------
    >>> from sklearn_ltdd.datasets import RemoteFile, fetch_file
    >>> import pathlib, tempfile
    >>> gone = RemoteFile("x", "missing.csv", url="https://example.org/missing.csv", sha256=None)
    >>> fetch_file(gone, data_home=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: .../x/missing.csv not found. Pass download=True ...
    """
    if not isinstance(remote, RemoteFile):  # (a name such as "hiv" failed with an AttributeError)
        raise TypeError(
            f"remote must be a RemoteFile, e.g. REMOTE_FILES['hiv'], got {type(remote).__name__} {remote!r}."
        )
    check_flags(download=download)
    target = _data_home(data_home) / remote.folder / remote.filename
    if target.is_dir():
        raise IsADirectoryError(
            f"{target} is a folder, where the file {remote.filename} should be; move it out of the way."
        )
    if target.exists():
        _check_in_place(target, remote)
        return target
    if remote.url is None:
        raise FileNotFoundError(
            f"{target} not found; it has no public copy to download. {remote.how_to_make}"
        )
    if not download:
        raise FileNotFoundError(
            f"{target} not found. Pass download=True (the benchmark command: --download) to fetch it from "
            f"{remote.url}, or place the file there {_CHOOSE_FOLDER}."
        )
    made = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _ONE_DOWNLOAD, _timeout(DOWNLOAD_TIMEOUT_S):
            path = Path(_sklearn_fetch_file(remote.url, folder=target.parent, local_filename=remote.filename,
                                            sha256=remote.sha256))  # fmt: skip
        if remote.sha256 is None:
            _refuse_a_web_page(path, remote)
    except BaseException as error:  # Ctrl-C included: no empty folders are left behind
        for folder in made:  # the folders made for it, deepest first, where the download left none
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if isinstance(error, HTTPError):  # its response's socket, now, not at some later collection
            error.close()
        explained = _explained(error, remote, target)
        if explained is error:
            raise
        raise explained from error
    umask = os.umask(0o077)  # sklearn's temporary file is private (0600); the data set need not be
    os.umask(umask)  # (read by setting it: a file another thread makes meanwhile is private, not open)
    path.chmod(0o666 & ~umask)
    if remote.sha256 is None:
        warn(
            f"{remote.filename} has no published checksum; downloaded file sha256={sha256_of(path)}.",
        )
    return path


@contextmanager
def _timeout(seconds: float) -> Iterator[None]:
    """A socket timeout for the download (sklearn's has none), unless the user has set one. It is
    the process's default: sockets other threads open meanwhile get it too."""
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(before if before is not None else seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(before)


#: the start of an HTML page (an XHTML one's too), among its first 512 bytes
_PAGE_TAGS = (b"<!doctype html", b"<html", b"<head", b"<body")


def _refuse_a_web_page(path: Path, remote: RemoteFile) -> None:
    """Without a checksum, an error page served with status 200 would be cached as the data set:
    an HTML page, or an API's error as one small JSON object (data as JSON Lines, XML, or SMILES
    that start with a bracket atom are kept)."""
    with open(path, "rb") as handle:
        start = handle.read(512).removeprefix(b"\xef\xbb\xbf").lstrip()
    page = start.startswith(b"<") and any(tag in start.lower() for tag in _PAGE_TAGS)
    if start and not page and not (start.startswith(b"{") and _one_json_object(path)):
        return
    path.unlink()
    sent = "an empty file" if not start else "a web page" if page else "a JSON message"
    raise _DownloadRefused(
        f"{remote.url} sent {sent}, not {remote.filename}; nothing was kept. The service may be down or "
        "ask for a login: try again later."
    )


def _one_json_object(path: Path) -> bool:
    """Whether the file is one JSON object of at most 1 MiB (an API's message, not data)."""
    if path.stat().st_size > 1 << 20:
        return False
    try:
        return isinstance(json.loads(path.read_bytes()), dict)
    except ValueError:  # JSON Lines, or no JSON at all (UnicodeDecodeError is one too)
        return False


class _DownloadRefused(OSError):
    """A download that arrived but is not the data file."""


def _explained(error: BaseException, remote: RemoteFile, target: Path) -> BaseException:
    """``error`` as the user should read it: what failed, with which URL or folder, and what to do."""
    if isinstance(error, _DownloadRefused):
        return error
    if isinstance(error, OSError) and "checksum" in str(error):
        return OSError(
            f"checksum mismatch for {remote.url}: {error} The file was not kept; the source may have changed."
        )
    if isinstance(error, HTTPError):  # the server answered: a connection is not what is missing
        try:
            reason = error.reason or HTTPStatus(error.code).phrase
        except ValueError:  # a code HTTP does not define
            reason = "no reason given"
        busy = error.code >= 500 or error.code == 429
        what = "try again later" if busy else "the file may have moved, or need a login"
        return OSError(
            f"could not download {remote.url}: the server answered HTTP {error.code} ({reason}); {what}. "
            f"Or copy the file to {target} {_CHOOSE_FOLDER}."
        )
    if isinstance(error, _NETWORK_ERRORS):
        return OSError(
            f"could not download {remote.url} ({type(error).__name__}: {error}); without a connection, copy "
            f"the file to {target} {_CHOOSE_FOLDER}."
        )
    if isinstance(error, OSError) and error.errno in _FOLDER_ERRNOS:  # a read-only folder, a full disk
        return _unwritable(error, f"save {remote.filename} in {target.parent}")
    return error


def _unwritable(error: OSError, doing: str) -> OSError:
    """``error`` (one of ``_FOLDER_ERRNOS``) said as what could not be done, and the way out."""
    return type(error)(
        error.errno,
        f"cannot {doing} ({error.strerror}); choose a folder you can write in with data_home= or "
        "$SKLEARN_LTDD_DATA.",
    )
