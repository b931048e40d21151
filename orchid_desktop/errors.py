"""Errors that a person caused or can fix, with a message in plain words.

The command line prints the message on one line and exits non-zero; the window shows it
in a dialog. Anything else is a bug and keeps its traceback in the log.
"""


class UserError(Exception):
    """A mistake or a situation the user can fix; ``str(error)`` says what and how."""


class DatabaseUnavailable(UserError):
    pass


class NetworkShareRefused(UserError):
    pass


class ValidationError(UserError):
    """Input that cannot be saved; ``problems`` lists every reason, in plain words."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


class ConflictError(UserError):
    """Someone else saved the same record since it was opened here."""
