"""The ``alfa-notebook`` command. Each subcommand lives beside the code it drives."""

from __future__ import annotations

import argparse
import sys

from ._version import __version__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="alfa-notebook",
        description="Boosted.ai's Alfa research assistant in Jupyter.",
    )
    parser.add_argument("--version", action="version", version=f"alfa-notebook {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "emulator",
        help="run the local Alfa emulator (synthetic data, loopback only)",
        add_help=False,
    )
    sub.add_parser(
        "doctor",
        help="check the settings, the connection and the service's answers, for a bug report",
        add_help=False,
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "emulator":
        from .emulator.cli import main as emulator_main

        return emulator_main(rest)
    if args.command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(rest)
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
