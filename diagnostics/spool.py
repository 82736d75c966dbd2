"""Byte strings kept in an anonymous temporary file instead of memory, read back in order or by slices.

A cluster's portraits are serialised once (canonical JSON), hashed for the snapshot's digest, and only
then stored: the snapshot's content hash, which decides whether the rows are written at all, needs the
digest of every row first. Held as ``bytes`` objects until then, a 60 000-firm cluster's texts were the
largest thing the portraits stage held (~320 MB of resident memory at its peak, ``bench/stage_memory.py``);
spooled to a file they cost the stage a sequential write and read, and the page cache, which the system
may take back, holds them instead of the process.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import pandas as pd

BLOCK = 5000  # texts read back per file read when iterating


class TextSpool(Sequence[bytes]):
    """An append-only sequence of byte strings in a temporary file (deleted when closed or collected)."""

    def __init__(self, texts: Iterable[bytes] = ()) -> None:
        # open for the spool's life, not a ``with`` block's: ``close`` (or collection) deletes it
        self._file = tempfile.TemporaryFile(prefix="shuzhen-spool-")  # noqa: SIM115
        self._ends = array("q")  # where each text ends in the file
        self._size = 0
        self.extend(texts)

    def append(self, text: bytes) -> None:
        self._file.write(text)
        self._size += len(text)
        self._ends.append(self._size)

    def extend(self, texts: Iterable[bytes]) -> None:
        for text in texts:
            self.append(text)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, int):
            if index < 0:
                index += len(self)
            if not 0 <= index < len(self):
                raise IndexError("spool index out of range")
            return self[index:index + 1][0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("a spool is read in runs: slices with a step are not supported")
        if stop <= start:
            return []
        first = self._ends[start - 1] if start else 0
        self._file.seek(first)
        blob = self._file.read(self._ends[stop - 1] - first)
        self._file.seek(self._size)  # appends go on at the end
        out, at = [], 0
        for end in self._ends[start:stop]:
            out.append(blob[at:end - first])
            at = end - first
        return out

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self), BLOCK):
            yield from self[start:start + BLOCK]

    def close(self) -> None:
        """Delete the file and forget its texts (the spool is empty afterwards)."""
        self._file.close()
        self._ends = array("q")
        self._size = 0

    @property
    def closed(self) -> bool:
        return self._file.closed


class FrameSpool(Sequence[pd.DataFrame]):
    """DataFrames kept in a temporary file, one pickle each, read back one at a time.

    The portraits stage builds a cluster's nested profiles (weaknesses, strengths, dimensions, scenario
    levels: ~3 KB a firm as Python objects) a part at a time; kept in memory for the stages after it, a
    500 000-firm census's lanes held 1.4 + 1.0 GB. Spooled, the stages read them back a part at a time
    (a pickle keeps a part's shared items shared, and loads several times faster than decoding the JSON
    the database stores)."""

    def __init__(self, frames: Iterable[pd.DataFrame] = ()) -> None:
        self._blobs = TextSpool()
        for frame in frames:
            self.append(frame)

    def append(self, frame: pd.DataFrame) -> None:
        self._blobs.append(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL))

    def __len__(self) -> int:
        return len(self._blobs)

    @overload
    def __getitem__(self, index: int) -> pd.DataFrame: ...

    @overload
    def __getitem__(self, index: slice) -> list[pd.DataFrame]: ...

    def __getitem__(self, index: int | slice) -> pd.DataFrame | list[pd.DataFrame]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        frame: pd.DataFrame = pickle.loads(self._blobs[index])  # noqa: S301  (this process's own file)
        return frame

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for k in range(len(self)):
            yield self[k]

    def close(self) -> None:
        self._blobs.close()
