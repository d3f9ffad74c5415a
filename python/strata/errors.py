"""Exceptions raised by Strata, one per kind of failure.

Every one derives from StrataError, and also from the built-in exception a Python user would
catch for that kind (ValueError for bad input, LookupError for something missing, OSError for
storage), so `except ValueError` works as expected. Messages are the CLI's: what went wrong,
where, and how to fix it.
"""


class StrataError(Exception):
    """Base of every Strata error."""


class InvalidArgumentError(StrataError, ValueError):
    """Bad input: an unknown feature, a wrong type, a malformed file or reference."""


class NotFoundError(StrataError, LookupError, ValueError):
    """Something named does not exist: a group, a feature, a file, a snapshot (a bad name is
    bad input too, hence ValueError)."""


class AlreadyExistsError(StrataError):
    """Something to create exists already."""


class FailedPreconditionError(StrataError):
    """The repository is not in a state that allows the call (e.g. never applied, read-only)."""


class IncompatibleChangeError(StrataError, ValueError):
    """`apply` refused a change to the registered definitions (nothing was changed)."""


class ConflictError(StrataError):
    """A concurrent writer won a commit race."""


class StrataIOError(StrataError, OSError):
    """Reading or writing storage failed."""


class CorruptionError(StrataError):
    """Stored data is damaged."""


__all__ = [
    "StrataError",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "FailedPreconditionError",
    "IncompatibleChangeError",
    "ConflictError",
    "StrataIOError",
    "CorruptionError",
]
