"""Configured users (``oncoseries serve --users FILE``): one ``name:argon2-hash`` per line.

Make a line with ``python -m oncoseries.web.users NAME`` (asks for the password twice). A study is
visible to its owner and to the users it is shared with (docs/web.md).
"""

from __future__ import annotations

import getpass
import re
import sys
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
_ph = PasswordHasher()
_DUMMY = _ph.hash("not a password")


class UsersFileError(ValueError):
    pass


def read_users(path: Path) -> dict[str, str]:
    """name -> argon2 hash; blank lines and # comments are skipped; a bad line is an error with its number."""
    users = {}
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, digest = line.partition(":")
        if not sep or not NAME.match(name) or not digest.startswith("$argon2"):
            raise UsersFileError(f"{path}, line {i}: expected name:argon2-hash "
                                 "(made by python -m oncoseries.web.users NAME)")
        users[name] = digest
    if not users:
        raise UsersFileError(f"{path}: no user")
    return users


def load_users(path: Path, sessions=None):
    """A checker(name, password) -> bool over the users file (same work for unknown names)."""
    users = read_users(path)

    def check(name: str, password: str) -> bool:
        digest = users.get(name)
        try:
            return _ph.verify(digest or _DUMMY, password) and digest is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    check.names = set(users)
    return check


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not NAME.match(args[0]):
        print("usage: python -m oncoseries.web.users NAME   (letters, digits, _ . @ -)", file=sys.stderr)
        return 2
    pw = getpass.getpass("Password: ")
    if len(pw) < 10:
        print("Use at least 10 characters.", file=sys.stderr)
        return 2
    if getpass.getpass("Again: ") != pw:
        print("The two passwords differ.", file=sys.stderr)
        return 2
    print(f"{args[0]}:{_ph.hash(pw)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
