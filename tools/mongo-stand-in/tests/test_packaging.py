"""The stand-in is an importable package, started with ``python -m mongo_stand_in``, and
the scripts around it (start.sh, ping.py, stop.sh) drive it."""

import ast
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import pymongo

from .standin_fixture import STAND_IN_DIR, free_port

PACKAGE = pathlib.Path(STAND_IN_DIR) / 'mongo_stand_in'


def _touches_sys_path(source):
    """Whether a module's code reads or changes ``sys.path``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == 'path' and \
                isinstance(node.value, ast.Name) and node.value.id == 'sys':
            return True
    return False


class PackageTest(unittest.TestCase):
    def test_no_module_edits_sys_path_and_imports_are_relative(self):
        modules = sorted(PACKAGE.glob('*.py'))
        self.assertGreater(len(modules), 15)
        siblings = {path.stem for path in modules}
        for path in modules:
            source = path.read_text()
            self.assertFalse(_touches_sys_path(source), f'{path.name} touches sys.path')
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    names = {alias.name.split('.')[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = {node.module.split('.')[0]}
                else:
                    continue
                self.assertFalse(names & siblings, f'{path.name}: absolute import of {names & siblings}')

    def test_importing_the_server_leaves_sys_path_alone(self):
        before = list(sys.path)
        from mongo_stand_in import server  # pylint: disable=import-outside-toplevel
        self.assertEqual(sys.path, before)
        self.assertTrue(callable(server.main))

    def test_python_dash_m_runs_the_server(self):
        env = dict(os.environ, PYTHONPATH=STAND_IN_DIR)
        with tempfile.TemporaryDirectory() as elsewhere:
            done = subprocess.run([sys.executable, '-m', 'mongo_stand_in', '--help'], cwd=elsewhere,
                                  env=env, capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('usage: python -m mongo_stand_in', done.stdout)
        self.assertIn('--data-file', done.stdout)


class ScriptsTest(unittest.TestCase):
    def test_start_ping_stop_with_a_data_file_relative_to_the_caller(self):
        port = free_port()
        url = f'mongodb://127.0.0.1:{port}/?directConnection=true'
        env = dict(os.environ, MONGO_STAND_IN_VENV=sys.prefix)
        env.pop('PYTHONPATH', None)

        def script(*args, **kwargs):
            return subprocess.run([os.path.join(STAND_IN_DIR, args[0]), *args[1:]], cwd=caller,
                                  env=env, capture_output=True, text=True, timeout=120,
                                  check=False, **kwargs)

        with tempfile.TemporaryDirectory() as caller:
            started = script('start.sh', str(port), 'run/stand-in.pid', 'run/stand-in.log',
                             'data/stand-in.bson')
            self.assertEqual(started.returncode, 0, started.stderr)
            try:
                self.assertEqual(script('ping.py', url, '--timeout', '5').returncode, 0)
                with pymongo.MongoClient(url, serverSelectionTimeoutMS=5000) as client:
                    client.db.c.insert_one({'_id': 1})
            finally:
                stopped = script('stop.sh', 'run/stand-in.pid')
            self.assertEqual(stopped.returncode, 0, stopped.stderr)
            self.assertFalse(os.path.exists(os.path.join(caller, 'run/stand-in.pid')))
            self.assertTrue(os.path.getsize(os.path.join(caller, 'data/stand-in.bson')) > 0)
            self.assertNotEqual(script('ping.py', url, '--timeout', '0.5').returncode, 0)


if __name__ == '__main__':
    unittest.main()
