"""The one exception type for mistakes a user can fix (bad config value, missing file, too few points).

The CLI prints its message (which names the offending value and the fix) and exits with status 2, without a
traceback. It subclasses ValueError so library callers can catch it the usual way.
"""


class UserError(ValueError):
    """A problem with the user's input; the message says what is wrong and how to fix it."""
