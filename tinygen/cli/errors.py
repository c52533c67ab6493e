"""The CLI's one error type: a request it cannot serve (exit status 2, message on stderr)."""


class UsageError(Exception):
    """Unknown lesson, model or dataset, or a bad combination of options."""
