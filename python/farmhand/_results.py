"""The results of a run, kept as the plugin reported them."""
import json
from array import array
from collections.abc import Sequence
from typing import Any, Dict, Iterator, List, Union, overload

from ._errors import PluginError

_DECODER = json.JSONDecoder()


def parse_result(text: str) -> Dict[str, Any]:
    """One result as the plugin reports it: exactly one JSON object (read
    without json.loads()'s whitespace checks around it); anything else is
    the plugin's error."""
    try:
        result, end = _DECODER.raw_decode(text)
    except ValueError:
        end = -1
    if end != len(text) or not isinstance(result, dict):
        raise PluginError("the plugin reported a result that is not one JSON object: %r" % text[:200])
    return result


class Results(Sequence):  # type: ignore[type-arg]
    """Summary.results: one dict per item served, in the order the items
    ended, as schemas/result.schema.json describes them.

    A million-item run keeps a million results, so they are kept as the
    plugin's JSON text, back to back (~100 bytes an item, where a dict
    each costs ~1 KB, and a fresh allocation per item on the command
    path), and read on access: each access makes a new dict.  Read-only;
    compares equal to a list of the same dicts."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("Q")

    def append_text(self, text: bytes) -> None:
        """Keeps one result's JSON text (already checked by parse_result)."""
        self._text += text
        self._ends.append(len(self._text))

    def __len__(self) -> int:
        return len(self._ends)

    def _at(self, i: int) -> Dict[str, Any]:
        start = self._ends[i - 1] if i > 0 else 0
        return parse_result(self._text[start:self._ends[i]].decode("utf-8"))

    @overload
    def __getitem__(self, i: int) -> Dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> List[Dict[str, Any]]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("result %d of %d" % (i, n))
        return self._at(i % n)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        for i in range(len(self)):
            yield self._at(i)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (Results, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))
