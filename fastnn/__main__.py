"""Command line: `python -m fastnn info` prints how this build runs."""
import argparse
import sys


def _cmd_info(args):
    import numpy as np

    import fastnn

    facts = fastnn.info()
    facts["numpy"] = np.__version__
    facts["python"] = sys.version.split()[0]
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        print(f"{key:<{width}}  {value}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn", description="fastnn command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, build flags, OpenMP, ISA path and thread count")
    args = parser.parse_args(argv)
    return {"info": _cmd_info}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
