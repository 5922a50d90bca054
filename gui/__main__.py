"""Entry point: ``rekognition-labeler`` / ``python -m gui``.

``submit``, ``status`` and ``results`` run the headless CLI (no Qt is imported); anything else opens the
window.
"""

from __future__ import annotations

import sys

CLI_COMMANDS = {"submit", "status", "results"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in CLI_COMMANDS:
        from gui.cli import main as cli_main

        return cli_main(args)
    from gui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
