"""Test helper: run the stand-in (``python -m mongo_stand_in``) on a free loopback port for
the duration of a test class."""

import os
import socket
import subprocess
import sys
import time

import pymongo

HERE = os.path.dirname(os.path.abspath(__file__))
STAND_IN_DIR = os.path.dirname(HERE)  # holds the mongo_stand_in package


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class StandInProcess:
    def __init__(self, log_level='warning', extra_args=()):
        self.port = free_port()
        self.url = f'mongodb://127.0.0.1:{self.port}/?directConnection=true'
        self.log_path = os.path.join(HERE, f'.test-server-{self.port}.log')
        self._log = open(self.log_path, 'wb')  # pylint: disable=consider-using-with
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [STAND_IN_DIR, env.get('PYTHONPATH')]))
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, '-m', 'mongo_stand_in', '--host', '127.0.0.1',
             '--port', str(self.port), '--log-level', log_level, *extra_args],
            stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while True:
            try:
                with pymongo.MongoClient(self.url, serverSelectionTimeoutMS=300) as client:
                    client.admin.command('ping')
                return
            except pymongo.errors.PyMongoError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('stand-in did not start:\n' + self.log_tail())
                time.sleep(0.1)

    def client(self, **kwargs):
        kwargs.setdefault('serverSelectionTimeoutMS', 5000)
        return pymongo.MongoClient(self.url, **kwargs)

    def log_tail(self, lines=40):
        with open(self.log_path, 'rb') as fh:
            return b''.join(fh.readlines()[-lines:]).decode(errors='replace')

    def stop(self):
        """SIGTERM; returns the exit code (0 for a clean shutdown)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        code = self.proc.returncode
        if code == 0:
            os.unlink(self.log_path)
        return code
