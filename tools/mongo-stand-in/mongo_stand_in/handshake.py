"""Commands answered directly on the event loop (never queued behind the engine):
the handshake/heartbeat (hello, isMaster), ping, buildInfo and endSessions.

The hello reply deliberately has no ``topologyVersion`` (that would switch the
drivers to the streaming monitor protocol) and no ``setName`` (standalone).
"""

import datetime

VERSION = '7.0.0'
VERSION_ARRAY = [7, 0, 0, 0]
MAX_WIRE_VERSION = 21  # MongoDB 7.0
MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024
MAX_MESSAGE_SIZE = 48_000_000
MAX_WRITE_BATCH_SIZE = 100_000

HELLO_NAMES = {'hello', 'isMaster', 'ismaster'}


def now():
    """Current time as a naive UTC datetime with millisecond precision."""
    value = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def hello(command_name, connection_id):
    reply = {'helloOk': True}
    if command_name == 'hello':
        reply['isWritablePrimary'] = True
    else:
        reply['ismaster'] = True
    reply.update({
        'maxBsonObjectSize': MAX_BSON_OBJECT_SIZE,
        'maxMessageSizeBytes': MAX_MESSAGE_SIZE,
        'maxWriteBatchSize': MAX_WRITE_BATCH_SIZE,
        'localTime': now(),
        'logicalSessionTimeoutMinutes': 30,
        'connectionId': connection_id,
        'minWireVersion': 0,
        'maxWireVersion': MAX_WIRE_VERSION,
        'readOnly': False,
        'ok': 1.0,
    })
    return reply


def build_info():
    return {
        'version': VERSION,
        'gitVersion': 'mongo-stand-in (mongomock engine)',
        'versionArray': VERSION_ARRAY,
        'bits': 64,
        'debug': False,
        'maxBsonObjectSize': MAX_BSON_OBJECT_SIZE,
        'storageEngines': ['mongomock'],
        'javascriptEngine': 'none',
        'modules': ['stand-in'],
        'ok': 1.0,
    }


def answer(command, connection_id):
    """Reply for a loop-side command, or None if the engine must handle it."""
    name = next(iter(command), None)
    if name in HELLO_NAMES:
        return hello(name, connection_id)
    if name == 'ping':
        return {'ok': 1.0}
    if name in ('buildInfo', 'buildinfo'):
        return build_info()
    if name == 'endSessions':
        return {'ok': 1.0}
    if name == 'getParameter' and command.get('featureCompatibilityVersion'):
        return {'featureCompatibilityVersion': {'version': '7.0'}, 'ok': 1.0}
    if name == 'connectionStatus':
        return {'authInfo': {'authenticatedUsers': [], 'authenticatedUserRoles': []}, 'ok': 1.0}
    return None
