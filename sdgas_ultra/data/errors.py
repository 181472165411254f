# sdgas-ultra, AGPL-3.0
"""The error convention of the `sdgas` sub-commands: a user error is one message on stderr and exit status 1.

User errors are OSError (a file or folder missing, existing or unreadable; DatasetUnavailable) and ValueError (bad
content or arguments); their messages name the file at fault. Anything else is a bug and keeps its traceback.
Python callers of the functions behind the commands get the exception itself; only the handlers translate it.
"""

import functools
import sys

from ..base.errors import USER_ERRORS


def command(prog):
    """Decorate a sub-command handler `run(args) -> exit code` so that user errors print as `<prog>: error: ...`."""

    def wrap(run):
        @functools.wraps(run)
        def handler(args):
            try:
                return run(args)
            except USER_ERRORS as e:
                print(f"{prog}: error: {e}", file=sys.stderr)
                return 1

        return handler

    return wrap
