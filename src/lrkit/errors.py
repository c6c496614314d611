"""The root of lrkit's errors: each layer raises its own subclass with a message that says what
was wrong and what to do; the CLI prints that message as one line and exits with code 2."""


class LrkitError(ValueError):
    """Bad input to lrkit (a spec, a parameter, a task file...); the message tells the fix."""
