#!/usr/bin/env python3
"""Exit 0 if a MongoDB server (real or the stand-in) answers ``ping`` at URL.

    ping.py URL [--timeout SECONDS]

Uses the pymongo of the stand-in's venv (re-executes itself with the venv's
python when run by another interpreter; run setup.sh first).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get('MONGO_STAND_IN_VENV', os.path.join(HERE, '.venv'))

try:
    import pymongo
    from pymongo.errors import PyMongoError
except ImportError:
    venv_python = os.path.join(VENV, 'bin', 'python')
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV) and os.access(venv_python, os.X_OK):
        os.execv(venv_python, [venv_python, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write('ping.py: pymongo is not installed; run setup.sh first\n')
    sys.exit(2)


def main(argv=None):
    parser = argparse.ArgumentParser(description='Exit 0 if a MongoDB server answers ping at URL.')
    parser.add_argument('url')
    parser.add_argument('--timeout', type=float, default=5.0, help='seconds (default 5)')
    args = parser.parse_args(argv)
    timeout_ms = max(1, int(args.timeout * 1000))
    try:
        client = pymongo.MongoClient(
            args.url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
            socketTimeoutMS=timeout_ms)
        try:
            client.admin.command('ping')
        finally:
            client.close()
    except (PyMongoError, ValueError) as exc:
        sys.stderr.write(f'ping.py: no MongoDB answering at {args.url}: {exc}\n'[:500])
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
