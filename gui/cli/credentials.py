"""``rekognition-labeler credentials forget KEY_ID``: remove a saved secret access key.

The window keeps typed secrets in the OS keyring (service ``gui.APP_ID``, user = access key ID); this
command removes one, e.g. after the key was rotated or on leaving a shared computer.
"""

from __future__ import annotations

import argparse
import re
from typing import Any, TextIO

from gui.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from gui.core.paths import AppPaths
from gui.core.safetext import visible

EXIT_NOTHING = EXIT_FAILED  # no secret was saved for this key ID, or the keyring refused

# Access key IDs are upper-case letters and digits (IAM: 16 to 128 characters).
_KEY_ID = re.compile(r"[A-Z0-9]{16,128}")

HELP = """\
exit codes:
  0    the secret was removed
  1    no secret was saved for this key ID (or the keyring could not be used)
  2    not an access key ID
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "credentials",
        help="forget a secret access key saved in the system keyring",
        description="Secret access keys typed in the window are saved in the system keyring, never in a file.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="credentials_action", required=True, metavar="{forget}")
    forget = actions.add_parser("forget", help="remove the saved secret of an access key ID", epilog=HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    forget.add_argument("key_id", metavar="KEY_ID", help="the access key ID (AKIA…)")
    forget.add_argument("--data-dir", metavar="DIR", help="the app's data folder (for its log file)")


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    from gui.core.secrets import SecretStore  # keyring: loaded only for this command

    key_id = args.key_id.strip()
    if not _KEY_ID.fullmatch(key_id):
        print(f"error: '{visible(key_id)}' is not an access key ID (16 or more capital letters and digits)",
              file=err)
        return EXIT_USAGE
    store = SecretStore()
    status = store.status()
    if not status.available:
        print(f"error: {status.message}", file=err)
        return EXIT_NOTHING
    if store.where(key_id) != "keyring":
        print(f"no secret is saved for {key_id}", file=err)
        return EXIT_NOTHING
    store.forget(key_id)
    if store.where(key_id) is not None:
        print(f"error: the keyring kept the secret of {key_id} (is it locked?)", file=err)
        return EXIT_NOTHING
    print(f"removed the saved secret of {key_id} from the system keyring", file=out)
    return EXIT_OK
