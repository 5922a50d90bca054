"""Entry point: ``rekognition-labeler`` / ``python -m gui``.

Arguments are read before any Qt object exists, so ``--help``, ``--version``, a mistyped subcommand and a
machine without a display each get a plain answer instead of a Qt abort. The subcommands run the headless CLI
(no Qt is imported); no subcommand opens the window.
"""

from __future__ import annotations

import sys

from gui.options import CLI_COMMANDS, EXIT_NO_DISPLAY, display_problem, gui_parser, unknown_command_message


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        if args[0] in CLI_COMMANDS:
            from gui.cli import main as cli_main  # loaded only for a subcommand: the window starts without it

            return cli_main(args)
        gui_parser().error(unknown_command_message(args[0]))  # exits 2
    parser = gui_parser()
    _, extra = parser.parse_known_args(args)  # --help / --version print and exit 0 here
    unknown = [a for a in extra if a.startswith("--")]  # single-dash extras are Qt's own (-platform, -style)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")  # exits 2
    problem = display_problem()
    if problem:
        print(f"rekognition-labeler: {problem}", file=sys.stderr)
        return EXIT_NO_DISPLAY
    from gui.app import main as app_main  # PySide6 loads only after the arguments and the display check

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
