"""Command registry, argument helpers and the running command's time limit, shared by the
command modules."""

import contextlib
import contextvars
import numbers

from .errors import CommandError, not_implemented, type_mismatch

COMMANDS = {}

# Fields any command may carry; accepted and ignored (sessions, cluster time,
# read preference, API version and write concern are meaningless for a single
# in-memory node), except maxTimeMS, which the engine honours for reads.
GENERIC_FIELDS = frozenset({
    '$db', 'lsid', '$clusterTime', '$readPreference', 'comment', 'maxTimeMS',
    'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'readConcern', 'writeConcern',
    '$audit', '$client',
})


class CommandSpec:
    __slots__ = ('name', 'handler', 'fields', 'unsupported')

    def __init__(self, name, handler, fields, unsupported):
        self.name = name
        self.handler = handler
        self.fields = frozenset(fields) | GENERIC_FIELDS | {name}
        self.unsupported = frozenset(unsupported)


def command(*names, fields=(), unsupported=()):
    """Register a handler ``handler(engine, db_name, cmd) -> reply dict``.

    ``fields``: accepted fields; ``unsupported``: valid MongoDB fields the
    stand-in refuses with code 238. Anything else is an unknown field (40415).
    """
    def register(handler):
        for name in names:
            COMMANDS[name] = CommandSpec(name, handler, fields, unsupported)
        return handler
    return register


def check_fields(spec, cmd):
    for field in cmd:
        if field in spec.fields:
            continue
        if field in spec.unsupported:
            raise not_implemented(f"the '{field}' option of {spec.name}")
        raise CommandError(40415, f"BSON field '{spec.name}.{field}' is an unknown field.")


def collection_name(cmd, name):
    value = cmd[name]
    if not isinstance(value, str):
        if value.__class__.__name__ == 'Binary':
            raise not_implemented(f'{name} by collection UUID')
        raise CommandError(73, f'collection name has invalid type {type(value).__name__}')
    if not value or '\x00' in value or '$' in value or value.startswith('.') or value.endswith('.'):
        raise CommandError(73, f'Invalid collection name: {value!r}')
    return value


def doc_arg(cmd, field, default=None):
    value = cmd.get(field, default)
    if value is None:
        return default
    if not isinstance(value, dict):
        raise type_mismatch(f"BSON field '{field}' is the wrong type '{type(value).__name__}', expected type 'object'")
    return value


def int_arg(cmd, field, default=None, minimum=None):
    value = cmd.get(field, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise type_mismatch(f"BSON field '{field}' is the wrong type '{type(value).__name__}', expected a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise CommandError(2, f"BSON field '{field}' value must be an integer")
        value = int(value)
    if minimum is not None and value < minimum:
        raise CommandError(51024, f"BSON field '{field}' value must be >= {minimum}, actual value '{value}'")
    return int(value)


def bool_arg(cmd, field, default=False):
    value = cmd.get(field, default)
    if value is None:
        return default
    if isinstance(value, (bool, numbers.Number)):
        return bool(value)
    raise type_mismatch(f"BSON field '{field}' is the wrong type '{type(value).__name__}', expected type 'bool'")


def check_collation(collation, where='collation'):
    """Only the simple (binary) collation is reproduced faithfully."""
    if collation is None or collation == {} or collation == {'locale': 'simple'}:
        return
    raise not_implemented(f'{where} {collation!r} (only the simple collation is supported)')


class TimeLimit:
    """A read command's ``maxTimeMS``, measured from its start (the engine checks it after the
    command; a command that writes checks it before writing and then ``commits``)."""

    def __init__(self, limit_ms, clock):
        self.limit_ms = limit_ms
        self.clock = clock
        self.started = clock()
        self.committed = False

    def expired(self):
        return (self.clock() - self.started) * 1000 > self.limit_ms

    def check(self):
        if self.expired():
            raise CommandError(50, 'operation exceeded time limit')


_time_limit = contextvars.ContextVar('time_limit', default=None)


@contextlib.contextmanager
def time_limited(limit):
    token = _time_limit.set(limit)
    try:
        yield limit
    finally:
        _time_limit.reset(token)


def current_time_limit():
    """The running command's TimeLimit, or None without ``maxTimeMS``."""
    return _time_limit.get()
