"""User-facing errors: the CLI prints them as one message and exits with code 2."""


class UserError(Exception):
    """A mistake in the user's input (model, options). Printed without a traceback."""

    exit_code = 2


class ModelFormatError(UserError):
    """The file is not a readable TFLite flatbuffer (truncated, random bytes, wrong schema)."""


class UnsupportedError(UserError):
    """The model is valid TFLite but uses something this compiler does not support."""
