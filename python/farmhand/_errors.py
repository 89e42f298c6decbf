"""farmhand's exceptions: every one is a farmhand.Error.

Those that were ValueError or RuntimeError before 0.2 still are (JobError,
ItemsError, LogScanError and ArgumentError are ValueErrors, StateError is a
RuntimeError), so code that caught those keeps working.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional


class Error(Exception):
    """The base of every exception farmhand raises."""


class PluginError(Error):
    """The job-type plugin could not be loaded, or answered what its ABI
    does not allow (the message says what to do)."""


@dataclass(frozen=True)
class Problem:
    """One problem of a refused job: the path of its field ("" for the
    whole job), what is wrong, and where the source has it."""

    path: str
    message: str
    line: Optional[int] = None
    column: Optional[int] = None

    @classmethod
    def from_json(cls, o: Dict[str, Any]) -> "Problem":
        return cls(o.get("path", ""), o.get("message", ""), o.get("line"), o.get("column"))

    def __str__(self) -> str:
        where = [self.path] if self.path else []
        if self.line:
            where.append("line %d, column %d" % (self.line, self.column or 0))
        return "%s: %s" % (", ".join(where), self.message) if where else self.message


class JobError(Error, ValueError):
    """The plugin refused the job.  .code says whose fault ("invalid_job",
    "syntax", "invalid_input", "bad_host"), .problems holds every problem
    (Problem), .source names the job; str() lists them, one per line."""

    def __init__(self, code: str, problems: List[Problem], source: Optional[str] = None,
                 message: Optional[str] = None) -> None:
        self.code = code
        self.problems = problems
        self.source = source
        lines = [str(p) for p in problems] or [message or "the plugin refused the job"]
        super().__init__("\n".join(lines))

    @classmethod
    def from_json(cls, o: Dict[str, Any]) -> "JobError":
        """From the plugin's error object (schemas/error.schema.json)."""
        return cls(o.get("code", "invalid_job"), [Problem.from_json(p) for p in o.get("problems", [])],
                   o.get("source"), o.get("message"))


class ItemsError(Error, ValueError):
    """A list of items the job does not have, or that is not a list."""


class LogScanError(Error, ValueError):
    """A log could not be scanned: an unknown preset, bad options."""


class StateError(Error, RuntimeError):
    """An object used out of turn: a Job run twice or after close(), a
    dispatcher's child started twice."""


class ArgumentError(Error, ValueError):
    """An argument of the wrong shape."""
