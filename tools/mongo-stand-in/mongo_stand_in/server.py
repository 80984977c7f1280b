"""MongoDB stand-in: a MongoDB wire-protocol server backed by mongomock (TEST ONLY).

    python -m mongo_stand_in --host 127.0.0.1 --port 27017 [--log-level info] [--data-file PATH]

(run from tools/mongo-stand-in, or with it on PYTHONPATH). Runs in the foreground, logs to
stderr, stops cleanly on SIGTERM/SIGINT. In memory only, unless --data-file is given: then
the data is loaded from PATH at start (if it exists) and written to PATH atomically on a
clean stop (see persistence.py).
Handshake/heartbeat commands are answered on the asyncio event loop; every
command touching data runs on one dedicated engine thread.
"""

import argparse
import asyncio
import concurrent.futures
import itertools
import logging
import signal
import sys

from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from bson.errors import InvalidBSON

from . import engine as engine_module
from . import handshake
from . import perf
from . import persistence
from . import wire
from .errors import CommandError

log = logging.getLogger('stand-in')

# UUIDs stay bson.Binary (subtype 4 in, subtype 4 out); dates are naive UTC.
CODEC_OPTIONS = CodecOptions(tz_aware=False, uuid_representation=UuidRepresentation.UNSPECIFIED)


class StandInServer:
    def __init__(self, host, port, data_file=None):
        self.host = host
        self.port = port
        self.data_file = data_file
        self.engine = engine_module.Engine()
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='mongomock-engine')
        self._connection_ids = itertools.count(1)
        self._connections = set()
        self._server = None

    # ---------------------------------------------------------- requests
    def _engine_reply(self, message):
        """Runs on the engine thread: execute and encode the reply."""
        cmd = message.command
        reply = self.engine.run(cmd.get('$db'), cmd)
        if message.more_to_come:
            return None
        try:
            return wire.encode_op_msg(message.request_id, reply, CODEC_OPTIONS)
        except Exception as exc:  # pylint: disable=broad-except
            log.exception('cannot encode the reply to %r', next(iter(cmd), None))
            error = CommandError(1, f'cannot encode reply: {type(exc).__name__}: {exc}')
            return wire.encode_op_msg(message.request_id, error.to_reply(), CODEC_OPTIONS)

    async def _handle_op_query(self, message, connection_id):
        cmd = message.command
        name = next(iter(cmd), None)
        if not message.collection.endswith('.$cmd'):
            reply = {'$err': 'OP_QUERY is no longer supported', 'code': 5739101, 'ok': 0.0}
            return wire.encode_op_reply(message.request_id, reply, CODEC_OPTIONS, query_failure=True)
        if name in handshake.HELLO_NAMES:
            reply = handshake.hello(name, connection_id)
        else:
            reply = CommandError(352, f'Unsupported OP_QUERY command: {name}. The client driver '
                                      'may require an upgrade.').to_reply()
        return wire.encode_op_reply(message.request_id, reply, CODEC_OPTIONS)

    async def _handle(self, message, connection_id):
        if message.op_code == wire.OP_QUERY:
            return await self._handle_op_query(message, connection_id)
        reply = handshake.answer(message.command, connection_id)
        if reply is not None:
            if message.more_to_come:
                return None
            return wire.encode_op_msg(message.request_id, reply, CODEC_OPTIONS)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._engine_reply, message)

    # ---------------------------------------------------------- connections
    async def _serve_connection(self, reader, writer):
        connection_id = next(self._connection_ids)
        peer = writer.get_extra_info('peername')
        task = asyncio.current_task()
        self._connections.add(task)
        log.debug('connection %d from %s', connection_id, peer)
        try:
            while True:
                frame = await wire.read_message(reader)
                if frame is None:
                    break
                request_id, op_code, body = frame
                if op_code == wire.OP_MSG:
                    message = wire.parse_op_msg(request_id, body, CODEC_OPTIONS)
                elif op_code == wire.OP_QUERY:
                    message = wire.parse_op_query(request_id, body, CODEC_OPTIONS)
                else:
                    raise wire.ProtocolError(f'unsupported opcode {op_code}')
                if log.isEnabledFor(logging.DEBUG):
                    log.debug('conn %d: %s', connection_id, _summary(message.command))
                data = await self._handle(message, connection_id)
                if data is not None:
                    writer.write(data)
                    await writer.drain()
        except (wire.ProtocolError, InvalidBSON) as exc:
            log.warning('connection %d: closing after a protocol error: %s', connection_id, exc)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:  # pylint: disable=broad-except
            log.exception('connection %d: closing after an unexpected error', connection_id)
        finally:
            self._connections.discard(task)
            writer.close()
            log.debug('connection %d closed', connection_id)

    async def serve(self, stop):
        loop = asyncio.get_running_loop()
        if self.data_file:
            await loop.run_in_executor(
                self.executor, persistence.load, self.engine, self.data_file, CODEC_OPTIONS)
        self._server = await asyncio.start_server(
            self._serve_connection, self.host, self.port, backlog=1024)
        addresses = ', '.join(str(s.getsockname()) for s in self._server.sockets)
        log.info('MongoDB stand-in (mongomock engine) listening on %s', addresses)
        await stop.wait()
        log.info('shutting down')
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self.data_file:
            # Queued on the engine thread: runs after the command in progress, if any.
            await loop.run_in_executor(
                self.executor, persistence.dump, self.engine, self.data_file, CODEC_OPTIONS)
        self.executor.shutdown(wait=False, cancel_futures=True)


def _summary(cmd):
    name = next(iter(cmd), None)
    fields = ','.join(k for k in cmd if k not in (name, '$db'))
    return f'{name} {cmd.get(name)!r} db={cmd.get("$db")!r} fields={fields}'[:300]


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m mongo_stand_in',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=27017)
    parser.add_argument('--log-level', default='info',
                        choices=['debug', 'info', 'warning', 'error'])
    parser.add_argument('--data-file', metavar='PATH',
                        help='load data from PATH at start, write it there on a clean stop')
    parser.add_argument('--ttl-monitor-seconds', type=float, default=60.0, metavar='S',
                        help="seconds between TTL expiry scans of a collection (mongod's "
                             'ttlMonitorSleepSecs, 60 by default; each scan reads the whole collection)')
    args = parser.parse_args(argv)
    perf.TTL_SCAN_INTERVAL = args.ttl_monitor_seconds
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()), stream=sys.stderr,
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')

    async def run():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = StandInServer(args.host, args.port, args.data_file)
        await server.serve(stop)

    try:
        asyncio.run(run())
    except OSError as exc:
        log.error('cannot start: %s', exc)
        return 1
    return 0

