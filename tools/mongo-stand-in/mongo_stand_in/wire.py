"""MongoDB wire protocol framing: OP_MSG, legacy OP_QUERY and OP_REPLY.

Only what the official drivers use against a 7.0 standalone is handled:
OP_MSG (2013) for every command and OP_QUERY (2004) on ``<db>.$cmd`` for the
legacy ``isMaster`` handshake, answered with OP_REPLY (1). Compression is never
advertised, so OP_COMPRESSED is rejected.
"""

import asyncio
import itertools
import struct

import bson

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

HEADER = struct.Struct('<iiii')  # messageLength, requestID, responseTo, opCode
MAX_MESSAGE_SIZE = 48_000_000

# OP_MSG flagBits
CHECKSUM_PRESENT = 1 << 0
MORE_TO_COME = 1 << 1
EXHAUST_ALLOWED = 1 << 16
_KNOWN_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME | EXHAUST_ALLOWED
_REQUIRED_FLAG_MASK = 0xFFFF  # bits 0-15 must be understood by the receiver

# OP_REPLY responseFlags
QUERY_FAILURE = 1 << 1

_request_ids = itertools.count(1)


class ProtocolError(Exception):
    """The peer sent something this server cannot frame; the connection is closed."""


class Message:
    """One decoded request: the command document plus framing facts."""

    __slots__ = ('request_id', 'op_code', 'command', 'more_to_come', 'collection')

    def __init__(self, request_id, op_code, command, more_to_come=False, collection=None):
        self.request_id = request_id
        self.op_code = op_code
        self.command = command
        self.more_to_come = more_to_come
        self.collection = collection  # OP_QUERY: fullCollectionName


async def read_message(reader):
    """Read one message; returns (request_id, op_code, body bytes) or None on EOF."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError:
        return None  # peer closed the connection (possibly mid-header)
    length, request_id, _response_to, op_code = HEADER.unpack(header)
    if length < HEADER.size or length > MAX_MESSAGE_SIZE:
        raise ProtocolError(f'invalid message length {length}')
    body = await reader.readexactly(length - HEADER.size)
    return request_id, op_code, body


def _cstring(data, pos):
    end = data.index(b'\x00', pos)
    return data[pos:end].decode('utf-8'), end + 1


def _bson_length(data, pos):
    if pos + 4 > len(data):
        raise ProtocolError('truncated BSON document')
    (size,) = struct.unpack_from('<i', data, pos)
    if size < 5 or pos + size > len(data):
        raise ProtocolError('invalid BSON document length')
    return size


def parse_op_msg(request_id, body, codec_options):
    try:
        return _parse_op_msg(request_id, body, codec_options)
    except (struct.error, ValueError, IndexError) as exc:
        raise ProtocolError(f'malformed OP_MSG: {exc}') from exc


def parse_op_query(request_id, body, codec_options):
    try:
        return _parse_op_query(request_id, body, codec_options)
    except (struct.error, ValueError, IndexError) as exc:
        raise ProtocolError(f'malformed OP_QUERY: {exc}') from exc


def _parse_op_msg(request_id, body, codec_options):
    """Decode an OP_MSG body into a Message.

    Kind-1 document sequences are merged into the command document under their
    identifier (``documents``, ``updates``, ``deletes``, ...).
    """
    (flags,) = struct.unpack_from('<I', body, 0)
    unknown_required = flags & _REQUIRED_FLAG_MASK & ~_KNOWN_FLAGS
    if unknown_required:
        raise ProtocolError(f'unsupported required OP_MSG flag bits {unknown_required:#x}')
    end = len(body)
    if flags & CHECKSUM_PRESENT:
        end -= 4  # CRC-32C trailer: not verified (loopback test traffic only)
    pos = 4
    command = None
    sequences = []
    while pos < end:
        kind = body[pos]
        pos += 1
        if kind == 0:
            size = _bson_length(body, pos)
            if command is not None:
                raise ProtocolError('OP_MSG with more than one kind-0 section')
            command = bson.decode(body[pos:pos + size], codec_options)
            pos += size
        elif kind == 1:
            (size,) = struct.unpack_from('<i', body, pos)
            section_end = pos + size
            if size < 5 or section_end > end:
                raise ProtocolError('invalid document sequence length')
            identifier, doc_pos = _cstring(body, pos + 4)
            docs = []
            while doc_pos < section_end:
                doc_size = _bson_length(body, doc_pos)
                docs.append(bson.decode(body[doc_pos:doc_pos + doc_size], codec_options))
                doc_pos += doc_size
            sequences.append((identifier, docs))
            pos = section_end
        else:
            raise ProtocolError(f'unknown OP_MSG section kind {kind}')
    if command is None:
        raise ProtocolError('OP_MSG without a kind-0 section')
    for identifier, docs in sequences:
        existing = command.get(identifier)
        if isinstance(existing, list):
            existing.extend(docs)
        else:
            command[identifier] = docs
    return Message(request_id, OP_MSG, command, more_to_come=bool(flags & MORE_TO_COME))


def _parse_op_query(request_id, body, codec_options):
    """Decode an OP_QUERY body (flags, fullCollectionName, skip, return, query)."""
    collection, pos = _cstring(body, 4)
    pos += 8  # numberToSkip, numberToReturn
    size = _bson_length(body, pos)
    query = bson.decode(body[pos:pos + size], codec_options)
    if '$query' in query:  # wrapped form: {$query: {...}, $readPreference: ...}
        query = query['$query']
    return Message(request_id, OP_QUERY, query, collection=collection)


def _frame(op_code, response_to, payload):
    request_id = next(_request_ids) & 0x7FFFFFFF
    return HEADER.pack(HEADER.size + len(payload), request_id, response_to, op_code) + payload


def encode_op_msg(response_to, document, codec_options):
    payload = struct.pack('<IB', 0, 0) + bson.encode(document, codec_options=codec_options)
    return _frame(OP_MSG, response_to, payload)


def encode_op_reply(response_to, document, codec_options, query_failure=False):
    flags = QUERY_FAILURE if query_failure else 0
    payload = struct.pack('<iqii', flags, 0, 0, 1) + bson.encode(document, codec_options=codec_options)
    return _frame(OP_REPLY, response_to, payload)
