"""The one error a user can fix, and how every command reports it: one line, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, a bad flag, an unknown stack, table or bucket: what is wrong, where, and what to do.

    The command prints ``bedrock-batch <command>: <message>`` on stderr and exits with ``exit_code``."""

    exit_code = 2


class Refused(UserError):
    """The pipeline refused the run before any job (empty file, unknown format, prompt, model, missing columns)."""
