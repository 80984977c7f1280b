"""The engine: one mongomock client plus open cursors, driven by ONE thread.

``Engine.run(db_name, cmd)`` validates a command, dispatches it to a handler
from the command modules and turns every failure into an ``ok: 0`` reply.
"""

import logging
import time

import mongomock

from . import aggregation
from . import commands_admin  # noqa: F401  (registers commands)
from . import commands_read  # noqa: F401
from . import commands_write  # noqa: F401
from . import compat
from . import perf
from . import registry
from . import validation
from .cursors import CursorRegistry
from .errors import CommandError, error_from_exception, not_implemented
from .registry import COMMANDS, check_collation, check_fields

log = logging.getLogger('stand-in.engine')

# Read commands that honour maxTimeMS (writes ignore it: a write is not undone when mongod
# interrupts it either, and nothing here sends one). An aggregate ending in $merge checks it
# before it writes (merge.py).
_TIME_LIMITED = frozenset({'find', 'aggregate', 'count', 'distinct'})
_clock = time.monotonic  # replaced in unit tests


def max_time_ms(cmd):
    """The command's ``maxTimeMS`` (0: no limit), validated as mongod does."""
    value = cmd.get('maxTimeMS', 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise CommandError(14, "BSON field 'maxTimeMS' is the wrong type, expected an integer",
                           code_name='TypeMismatch')
    if not 0 <= value <= 2**31 - 1:
        raise CommandError(2, f'{int(value)} value for maxTimeMS is out of range [0, 2147483647]')
    return int(value)

# Real MongoDB commands the stand-in does not implement: NotImplemented (238),
# unlike names no MongoDB knows: CommandNotFound (59).
KNOWN_UNSUPPORTED = frozenset({
    'abortTransaction', 'commitTransaction', 'explain', 'mapReduce', 'mapreduce', 'bulkWrite',
    'renameCollection', 'validate', 'startSession', 'refreshSessions', 'killSessions',
    'killAllSessions', 'killAllSessionsByPattern', 'serverStatus', 'dbStats', 'collStats',
    'dataSize', 'currentOp', 'killOp', 'getParameter', 'setParameter', 'hostInfo', 'listCommands',
    'getCmdLineOpts', 'getLog', 'replSetGetStatus', 'replSetGetConfig', 'createUser', 'dropUser',
    'updateUser', 'usersInfo', 'createRole', 'saslStart', 'saslContinue', 'authenticate',
    'logout', 'getnonce', 'compact', 'reIndex', 'cloneCollectionAsCapped', 'convertToCapped',
    'shardCollection', 'fsync', 'fsyncUnlock', 'profile', 'top', 'geoSearch', 'geoNear',
    'createSearchIndexes', 'listSearchIndexes', 'dropSearchIndex',
    'updateSearchIndex', 'setFeatureCompatibilityVersion', 'shutdown', 'getLastError',
    'resetError', 'eval', 'cleanupOrphaned', 'analyze', 'checkMetadataConsistency',
    'getClusterParameter', 'setClusterParameter', 'lockInfo', 'whatsmyuri', 'features',
    'getDefaultRWConcern', 'setDefaultRWConcern', 'rotateCertificates', 'logRotate',
})

_ALLOWED_READ_CONCERNS = {None, 'local', 'available', 'majority'}


def check_version():
    if mongomock.__version__ != '4.3.0':
        raise SystemExit(
            f'mongo-stand-in: mongomock {mongomock.__version__} found, but its patches are written '
            'for mongomock 4.3.0 exactly; run setup.sh to install the pinned requirements')


_installed = False


def install_patches():
    global _installed  # pylint: disable=global-statement
    check_version()
    if not _installed:
        perf.install()
        compat.install()
        aggregation.install()
        validation.install()
        _installed = True


class Engine:
    def __init__(self):
        install_patches()
        self.client = mongomock.MongoClient()
        self.cursors = CursorRegistry()

    # -- helpers for the command modules
    def database(self, db_name):
        return self.client.get_database(db_name)

    def collection(self, db_name, coll_name):
        return self.client.get_database(db_name).get_collection(coll_name)

    def collection_store(self, db_name, coll_name):
        """The store of an existing collection, or None (never creates one)."""
        db_store = self.client._store._databases.get(db_name)
        if db_store is None:
            return None
        coll_store = db_store._collections.get(coll_name)
        if coll_store is None or not coll_store.is_created:
            return None
        return coll_store

    def collection_names(self, db_name):
        db_store = self.client._store._databases.get(db_name)
        if db_store is None:
            return []
        return db_store.list_created_collection_names()

    def drop_database(self, db_name):
        self.client._store._databases.pop(db_name, None)
        self.client._database_accesses.pop(db_name, None)
        self.cursors.kill_namespace(db_name)

    def _kill_reply_cursor(self, reply):
        cursor = reply.get('cursor') if isinstance(reply, dict) else None
        if cursor and cursor.get('id'):
            self.cursors.kill(cursor['ns'], [cursor['id']])

    # -- entry point (engine thread)
    def run(self, db_name, cmd):
        name = next(iter(cmd), None)
        try:
            if not isinstance(db_name, str) or not db_name:
                raise CommandError(40571, 'OP_MSG requests require a $db argument')
            if any(ch in db_name for ch in '/\\. "$\x00'):
                raise CommandError(73, f"Invalid namespace specified '{db_name}'")
            spec = COMMANDS.get(name)
            if spec is None:
                if name in KNOWN_UNSUPPORTED:
                    raise not_implemented(f"the '{name}' command")
                raise CommandError(59, f"no such command: '{name}'")
            if 'startTransaction' in cmd or 'autocommit' in cmd:
                raise not_implemented('multi-document transactions')
            if 'txnNumber' in cmd:
                raise CommandError(20, 'Transaction numbers are only allowed on a replica set '
                                       'member or mongos', code_name='IllegalOperation')
            read_concern = cmd.get('readConcern') or {}
            if read_concern.get('level') not in _ALLOWED_READ_CONCERNS or \
                    set(read_concern) - {'level'}:
                raise not_implemented(f'readConcern {read_concern!r}')
            check_collation(cmd.get('collation'))
            check_fields(spec, cmd)
            time_limit_ms = max_time_ms(cmd) if name in _TIME_LIMITED else 0
            if not time_limit_ms:
                return spec.handler(self, db_name, cmd)
            with registry.time_limited(registry.TimeLimit(time_limit_ms, _clock)) as limit:
                reply = spec.handler(self, db_name, cmd)
            if not limit.committed and limit.expired():
                # mongod interrupts the operation while it runs; the stand-in can only drop
                # the answer afterwards, which a client cannot tell apart.
                self._kill_reply_cursor(reply)
                raise CommandError(50, 'operation exceeded time limit')
            return reply
        except Exception as exc:  # pylint: disable=broad-except
            error = error_from_exception(exc)
            if error is None:
                log.exception('internal error in command %r on db %r', name, db_name)
                error = CommandError(1, f'{type(exc).__name__}: {exc}')
            elif error.code in (1, 238):
                log.warning('%s: %s', name, error.errmsg)
            else:
                log.debug('%s failed: %s (%s)', name, error.errmsg, error.code)
            return error.to_reply()
