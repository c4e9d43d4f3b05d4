"""What lets a file screen stop and resume: one screen at a time into a destination (an
operating-system lock), the record of what it has written and of what it screens (source, model,
columns), and its output written a chunk at a time, each safely on disk before it is recorded."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import BinaryIO

import joblib
import pandas as pd
import torch

from .._labels import few_of
from ..classifier._base import GraphClassifier
from ..featurize._function_key import code_parts, script_as_main
from ..featurize._graphizer import SmilesGraphizer
from ._source import is_parquet

if os.name == "nt":
    import msvcrt
else:
    import fcntl

__all__ = [
    "MOST_PARTS",
    "PART_NAME",
    "ScreenRecord",
    "check_room_for_helpers",
    "model_hash",
    "only_screen_into",
    "part_name",
    "partial_path",
    "record_path",
    "write_csv",
    "write_parquet",
]


def model_hash(model: GraphClassifier) -> str:
    """A hash of what a fitted model computes, the same for the model and every load of it.

    (``joblib.hash(model)`` is not: skorch pickles its modules with ``torch.save``, which writes a
    unique id into every archive.) Each attribute is hashed on its own: a fitted model's
    ``classes_`` is its label encoder's array, a loaded one's a copy, and a pickle of the whole
    would record the difference. Where and how verbosely it runs is left out, so that a screen
    started on a laptop resumes on a GPU machine, with a progress bar or without; so are the
    constructor's parameters, which change nothing until the next fit, and the training history,
    whose epoch durations differ between two fits of the same seed (a refit that gives the same
    weights resumes the screen); and scikit-learn's settings of the instance (``set_output``,
    metadata routing's ``set_*_request``), which a screen does not read.
    """
    settings = {"_sklearn_output_config", "_metadata_request"}
    ignored = {"net_", "device_", "history_", *settings, *model.get_params(deep=False)}
    attributes = {  # (a load with ``mmap_mode`` gives memmaps, which hash as their arrays)
        k: joblib.hash(_featuriser(v), coerce_mmap=True) for k, v in vars(model).items() if k not in ignored
    }
    tensors = {
        name: (
            str(t.dtype),
            tuple(t.shape),
            t.detach().cpu().reshape(-1).view(torch.uint8).numpy(),
        )
        # the network alone: predict reads no criterion, which skorch's net_.trim_for_prediction() drops
        for name, t in model.net_.module_.state_dict().items()
    }
    return joblib.hash((type(model).__qualname__, attributes, tensors))


def _featuriser(value: object) -> object:
    """A fitted featuriser with its atom mapper as :func:`_mapper_identity` knows it; anything else
    as it is."""
    if not isinstance(value, SmilesGraphizer):
        return value
    return {k: _mapper_identity(v) if k == "atom_mapper" else v for k, v in vars(value).items()}


def _mapper_identity(mapper: object) -> object:
    """An atom mapper as a resumed screen must know it: a name as itself; a function by where it is
    defined and its own code, through partials and decorators (a notebook's mapper edited between
    an interruption and the resume would map the rest of the library otherwise); an object by its
    type. Not by pickling it: a lambda or a closure cannot be pickled, and what a mapper holds (a
    model, a memo it fills) hashes differently in every process, or at every call."""
    while isinstance(mapper, partial) or (callable(mapper) and hasattr(mapper, "__wrapped__")):
        mapper = mapper.func if isinstance(mapper, partial) else mapper.__wrapped__
    if mapper is None or isinstance(mapper, str):
        return mapper
    kind = mapper if isinstance(mapper, type) else type(mapper)
    code = getattr(mapper, "__code__", None)
    return (
        script_as_main(getattr(mapper, "__module__", None) or kind.__module__),
        getattr(mapper, "__qualname__", kind.__qualname__),
        None if code is None else code_parts(code),
    )


# what a non-blocking lock raises where another process holds it (Windows: EACCES)
_HELD = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES}


@contextmanager
def only_screen_into(destination: Path) -> Iterator[None]:
    """Hold an operating-system lock on ``<destination>.lock`` while a screen reads its progress
    and writes: a second process screening into the same destination at the same time would
    append its chunks to the first's. The lock dies with its process, so a killed screen still
    resumes. The file is removed while still locked (on Windows, which cannot remove an open
    file, it stays)."""
    if not destination.parent.is_dir():
        raise FileNotFoundError(
            f"{destination.parent} is not a folder; create it, or choose another destination."
        )
    path = destination.with_name(destination.name + ".lock")
    try:
        taken = _take_lock(path, destination)
    except OSError as error:  # (it names the lock, a file the user never chose)
        if not isinstance(error, PermissionError) and error.errno != errno.EROFS:
            raise
        error.add_note(
            f"A screen keeps its lock and progress beside {destination.name}: {destination.parent} "
            "must be a folder you can write in."
        )
        raise
    with taken as lock:
        try:
            yield
        finally:
            _release(lock, path)


def check_room_for_helpers(destination: Path) -> None:
    """Refuse a destination whose name leaves no room for the files kept beside it (the error
    named one of them, a file the user never chose, or the command's list of bad rows came as a
    traceback): the longest, the record's temporary file."""
    name = _temporary(record_path(destination)).name
    try:  # POSIX counts a name's bytes
        longest, length, unit = (
            os.pathconf(destination.parent, "PC_NAME_MAX"),
            len(os.fsencode(name)),
            "bytes",
        )
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf: NTFS takes 255 UTF-16 units
        longest, length, unit = 255, len(name.encode("utf-16-le")) // 2, "characters"
    if 0 < longest < length:  # (-1: no limit)
        raise ValueError(
            f"the destination's name is too long for the files a screen keeps beside it: the longest, "
            f"<destination>{name[len(destination.name) :]}, would take {length} {unit}, where "
            f"{destination.parent} takes names of at most {longest}; choose a shorter name."
        )


#: the errors of a filesystem that does not lock files
_UNSUPPORTED = {errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOLCK, errno.ENOSYS}
#: tries at taking the lock file at its path, which each holder removes as it ends
_LOCK_TRIES = 1000


def _take_lock(path: Path, destination: Path) -> BinaryIO:
    for _ in range(_LOCK_TRIES):
        lock = open(path, "a+b")  # held open beyond this function, until the screen ends
        try:
            _lock(lock)
        except OSError as error:
            lock.close()
            if error.errno in _UNSUPPORTED:  # (errno 95 or 37 alone named no file: some network mounts)
                raise OSError(
                    error.errno,
                    f"{path.name} cannot be locked ({error.strerror}): the filesystem of "
                    f"{destination.parent} does not lock files, by which a screen keeps others from "
                    "writing into its destination; screen into a local folder",
                ) from None
            if error.errno not in _HELD:
                error.add_note(f"(in locking {path})")
                raise
            raise BlockingIOError(
                f"another process (or thread) is screening into {destination} now (it holds {path.name}); "
                "wait for it to finish, or choose another destination."
            ) from None
        if _is_at(lock, path):
            return lock
        lock.close()  # its holder removed it after it was opened here: lock the file now at the path
    # (not a race that long: a filesystem whose file identities do not hold, as some network shares)
    raise OSError(
        f"{path} never stayed the file this process opened and locked ({_LOCK_TRIES} tries): the "
        f"filesystem of {destination.parent} does not keep a file's identity; screen into a local folder."
    )


if os.name == "nt":

    def _lock(file: BinaryIO) -> None:
        os.lseek(file.fileno(), 0, os.SEEK_SET)  # locking() starts at the position; "a+" opens at the end
        msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)

    def _release(file: BinaryIO, path: Path) -> None:
        os.lseek(file.fileno(), 0, os.SEEK_SET)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)  # Windows frees it at close only eventually

else:

    def _lock(file: BinaryIO) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _release(file: BinaryIO, path: Path) -> None:
        if _is_at(file, path):  # removed while locked: whoever opened it meanwhile sees that, retries
            path.unlink()


def _is_at(file: BinaryIO, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(file.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


#: what each field of a screen's record is, for a refusal to resume to name what changed
_WHAT = {
    "source": "source",
    "size": "source's size in bytes",
    "modified_ns": "source's modification time (ns)",
    "model": "model (a hash of its weights and fitted attributes)",
    "smiles_column": "SMILES column",
    "columns": "columns written",
    "versions": "versions of what reads its SMILES (finish a screen before upgrading)",
    "part_names": "Parquet parts' names (finish a screen before upgrading)",
}


def _changed(was: dict, now: dict) -> str:
    """What differs between two records of a screen, each field with its value then and now (of the
    columns, those written then or now only: a model's hundreds of class columns are no list to read)."""
    fields = [key for key in dict.fromkeys([*now, *was]) if key != "columns" and was.get(key) != now.get(key)]
    differ = [f"its {_WHAT.get(key, key)} ({was.get(key)!r}, now {now.get(key)!r})" for key in fields]
    then, columns = was.get("columns") or [], now.get("columns") or []
    if then != columns:
        gone, new = [c for c in then if c not in columns], [c for c in columns if c not in then]
        which = [f"{when} only {few_of(names)}" for when, names in (("then", gone), ("now", new)) if names]
        why = "another keep, or another top_k?" if which else "in another order"
        differ.append(f"its columns written ({'; '.join([*which, why])})")
    return "; ".join(differ) or f"its record {was!r}"


def partial_path(destination: Path) -> Path:
    """Where a screen into ``destination`` writes until it is complete: a file (or a directory of
    Parquet parts) that is renamed to ``destination`` at the end, so that ``destination`` exists
    only when it holds every row."""
    return destination.with_name(destination.name + ".partial")


def _temporary(path: Path) -> Path:
    """Where ``path`` is written before it replaces the old one whole."""
    return path.with_name(path.name + ".tmp")


def record_path(destination: Path) -> Path:
    """Where a screen into ``destination`` records what it has written (:class:`ScreenRecord`)."""
    return destination.with_name(destination.name + ".progress.json")


class ScreenRecord:
    """What a screen has written so far into its :func:`partial_path`, kept beside the destination
    (``<destination>.progress.json``) and updated after each chunk is safely on disk; removed when
    the screen is complete. It names the source (path, size, modification time), the model
    (:func:`model_hash`), the columns and the versions of what reads the SMILES, so that only the
    same screen, by the same release, resumes."""

    def __init__(self, destination: Path, screen: dict):
        self.destination = destination
        self.partial = partial_path(destination)
        self.path = record_path(destination)
        self.state = {"screen": screen, "rows": 0, "bytes": 0, "parts": 0, "invalid": 0}
        if not self.path.exists():
            for path in (destination, self.partial):  # (a .partial without it: what was written, unknown)
                if path.exists() or path.is_symlink():  # (a link to nothing was refused after the screen)
                    raise FileExistsError(
                        f"{path} exists and is not an unfinished screen (no {self.path.name} beside it); "
                        "remove it or choose another destination."
                    )
            return
        saved = self._saved()
        if saved.get("screen") == screen:
            self.state = saved
            if spoiled := saved.get("spoiled"):  # (a source renamed over, its size and time kept)
                raise ValueError(
                    f"{self.partial} is a screen that cannot be finished: {spoiled}. Remove it and "
                    f"{self.path.name} to screen again."
                )
        # another screen that failed before writing a row (e.g. a source that was not UTF-8,
        # fixed since) has nothing to resume: this one starts afresh
        elif saved.get("rows"):
            unfinished = self.partial if self.partial.exists() else destination
            raise ValueError(
                f"{unfinished} is an unfinished screen of another source, model, columns or release: "
                f"{_changed(saved.get('screen') or {}, screen)}. Remove it and {self.path.name}, or "
                "choose another destination."
            )
        if not destination.exists():
            return
        if self.partial.exists():
            raise FileExistsError(
                f"{destination} exists beside the unfinished screen {self.partial.name} "
                f"({self.state['rows']} rows recorded in {self.path.name}); move {destination.name} away "
                "to let the screen finish, or choose another destination."
            )
        if not (self.written or self._is_ours(destination)):
            raise FileExistsError(
                f"{destination} exists, but {self.path.name} records nothing written to it; remove one "
                "of the two, or choose another destination."
            )
        # a screen stopped between its last rename and removing this record: it goes on from its
        # partial output
        os.replace(destination, self.partial)

    def _saved(self) -> dict:
        """The record as saved, or an error naming it where it cannot be read (cut short by a crash,
        or written by something else)."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError as error:  # (a UnicodeDecodeError is one too)
            saved = error
        if not isinstance(saved, dict):
            what = (
                f"{type(saved).__name__}: {saved}"
                if isinstance(saved, Exception)
                else f"a JSON {type(saved).__name__}"
            )
            raise ValueError(
                f"{self.path} cannot be read as the record of a screen ({what}), so what was written to "
                f"{self.partial.name} is unknown; remove both to screen again from the start."
            )
        return saved

    @property
    def written(self) -> bool:
        """Whether any output is recorded as written (a header counts, a chunk of rows too)."""
        return bool(self.state["bytes"] or self.state["parts"])

    def save(self, **state: object) -> None:
        self.state.update(state)
        temporary = _temporary(self.path)
        temporary.write_text(json.dumps(self.state), encoding="utf-8")
        _sync(temporary)  # on disk before it replaces the old, as the chunk it records is
        os.replace(temporary, self.path)  # atomic: an interruption leaves the old state or the new

    def wrote(self, frame: pd.DataFrame, **state: int) -> None:
        """Save that ``frame``'s scores are on disk: its rows and its invalid ones counted."""
        invalid = self.state["invalid"] + int((~frame["valid"]).sum())
        self.save(rows=self.state["rows"] + len(frame), invalid=invalid, **state)

    def spoil(self, why: str) -> None:
        """Record that this screen's rows cannot be finished (``why``), so that running it again is
        refused, not resumed."""
        self.save(spoiled=why)

    def check_all_valid(self) -> None:
        """Refuse to go on with ``errors="raise"`` from rows written with invalid ones among them (a
        screen begun with ``"nan"``): the rows still to screen would be named, not those."""
        if not (invalid := self.state["invalid"]):
            return
        raise ValueError(
            f"{self.partial} holds the first {self.state['rows']} rows of this screen, begun with "
            f"errors='nan', {invalid} of them invalid (NaN scores), which "
            f"errors='raise' refuses: go on with errors='nan', or remove {self.partial.name} and "
            f"{self.path.name} to screen again from the start."
        )

    def resume(self) -> None:
        """Record the start (before the partial output exists, so an interruption in the first
        chunk resumes too), then drop whatever an interruption left after the last chunk recorded."""
        self.save()
        partial = self.partial
        if partial.exists() and not self.written:
            self._check_it_is_ours()  # (its first chunk, written and not yet recorded, is)
        if is_parquet(self.destination):
            partial.mkdir(exist_ok=True)
            parts = sorted(partial.glob("part-*"))
            kept = [partial / part_name(i) for i in range(self.state["parts"])]
            if not set(kept) <= set(parts):
                self._lost(f"parts {[p.name for p in kept if p not in parts]} are missing")
            for part in set(parts) - set(kept):
                part.unlink()
        else:
            size = partial.stat().st_size if partial.exists() else 0
            if size < self.state["bytes"]:
                self._lost(f"it holds {size} bytes of the {self.state['bytes']} written")
            if partial.exists():  # also before the first chunk was recorded: its header and rows
                with open(partial, "r+b") as out:
                    out.truncate(self.state["bytes"])

    def finish(self) -> None:
        """Give the complete output its name, then remove the record (stopped in between, the
        same screen run again finds the destination with its record, and finishes again)."""
        if self.destination.exists() or self.destination.is_symlink():  # written by another meanwhile
            raise FileExistsError(
                f"{self.destination} appeared while the screen ran, and is not overwritten: the whole "
                f"screen ({self.state['rows']} rows) is in {self.partial}. Move {self.destination.name} "
                f"away and run the same screen again, which only renames {self.partial.name}, or rename "
                "it yourself."
            )
        os.rename(self.partial, self.destination)  # (Windows also refuses an existing destination)
        self.path.unlink()

    def _is_ours(self, path: Path) -> bool:
        """Whether ``path`` can be this screen's output as far as it goes: a CSV that begins as its
        header does, a directory of nothing but parts."""
        if is_parquet(self.destination):
            return path.is_dir() and all(entry.name.startswith("part-") for entry in path.iterdir())
        header = pd.DataFrame(columns=self.state["screen"]["columns"]).to_csv(index=False).encode()
        with open(path, "rb") as out:
            return header.startswith(out.read(len(header)))

    def _check_it_is_ours(self) -> None:
        """Before anything was recorded as written, a partial output is this screen's only if it
        :meth:`_is_ours`; anything else was written by someone else after a failed start, and is
        not emptied."""
        if not self._is_ours(self.partial):
            raise FileExistsError(
                f"{self.partial} was not written by this screen ({self.path.name} records nothing "
                f"written to it); remove one of the two, or choose another destination."
            )

    def _lost(self, what: str) -> None:
        raise ValueError(
            f"{self.path.name} records {self.state['rows']} rows written to {self.partial}, but {what}; "
            f"remove {self.path.name} (and what is left of {self.partial.name}) to start again."
        )


def write_csv(partial: Path, frame: pd.DataFrame, record: ScreenRecord) -> None:
    with open(partial, "a", encoding="utf-8", newline="") as out:
        # written as pandas formats it, some rows at a time: the text of a chunk of many classes'
        # probabilities (7 kB a row at 330) was held whole; a chunk cut short is truncated on resuming
        frame.to_csv(out, index=False, header=record.state["bytes"] == 0)  # once, resumed too
        out.flush()
        os.fsync(out.fileno())
        record.wrote(frame, bytes=out.tell())


#: the most parts a Parquet screen writes: their names must sort in their order (pandas and pyarrow
#: read a folder's parts by name), which a fixed number of digits keeps
MOST_PARTS = 10**9


#: a Parquet screen's part names, recorded with the screen (a release that named them with six digits
#: began screens that this one does not finish)
PART_NAME = "part-{:09d}.parquet"


def part_name(i: int) -> str:
    """The name of a Parquet screen's part ``i``: nine digits, so that a billion-row screen of
    chunks of a thousand rows still sorts in order (six sorted part 1,000,000 before part 999,999)."""
    if i >= MOST_PARTS:
        raise ValueError(
            f"a Parquet screen writes at most {MOST_PARTS:,} parts, one per chunk; screen with larger "
            "chunks (chunk_rows)."
        )
    return PART_NAME.format(i)


def write_parquet(partial: Path, frame: pd.DataFrame, record: ScreenRecord) -> None:
    part = partial / part_name(record.state["parts"])
    temporary = part.with_suffix(".tmp")
    frame.to_parquet(temporary, index=False, schema=_one_schema(frame))
    _sync(temporary)
    os.replace(temporary, part)
    record.wrote(frame, parts=record.state["parts"] + 1)


def _one_schema(frame: pd.DataFrame) -> object:
    """The Arrow schema of a part, the same for every part of one screen: pandas stores a
    categorical's codes (a source's dictionary column, read chunk by chunk) in 8 or 16 bits by the
    number of categories in the chunk, and parts whose types differ are no table to pandas or
    pyarrow; a dictionary's indices are written as 32 bits in every part."""
    import pyarrow as pa

    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    fields = [
        field.with_type(pa.dictionary(pa.int32(), field.type.value_type, field.type.ordered))
        if pa.types.is_dictionary(field.type)
        else field
        for field in schema
    ]
    return pa.schema(fields, metadata=schema.metadata)


def _sync(path: Path) -> None:
    """Wait until ``path``'s content is on disk: a record saved, or renamed into place, before its
    data is on disk could be found empty, or name a chunk a crash lost."""
    with open(path, "r+b") as out:
        os.fsync(out.fileno())
