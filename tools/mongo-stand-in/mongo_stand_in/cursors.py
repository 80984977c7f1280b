"""Server-side cursors: result snapshots handed out in batches.

A cursor holds its whole result set, already BSON-encoded (a snapshot taken
when find/aggregate ran). Batches honour ``batchSize`` (first batch default:
101 documents) and the 16 MiB reply limit; the cursor id is 0 in the batch that
returns the last document, so no extra empty getMore is needed.
"""

import random
import time

import bson
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument

from .errors import CommandError

DEFAULT_FIRST_BATCH = 101
MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024  # room for the reply envelope
IDLE_TIMEOUT = 600.0  # like the server's cursorTimeoutMillis (10 minutes)


class Cursor:
    __slots__ = ('cursor_id', 'ns', 'docs', 'pos', 'last_used')

    def __init__(self, cursor_id, ns, docs):
        self.cursor_id = cursor_id
        self.ns = ns
        self.docs = docs  # list of encoded documents (bytes)
        self.pos = 0
        self.last_used = time.monotonic()

    def next_batch(self, batch_size):
        """Up to batch_size documents (None: no count limit), bounded by bytes."""
        batch = []
        total = 0
        docs = self.docs
        while self.pos < len(docs):
            if batch_size is not None and len(batch) >= batch_size:
                break
            raw = docs[self.pos]
            if batch and total + len(raw) > MAX_BATCH_BYTES:
                break
            batch.append(RawBSONDocument(raw))
            total += len(raw)
            self.pos += 1
        self.last_used = time.monotonic()
        return batch

    @property
    def exhausted(self):
        return self.pos >= len(self.docs)


class CursorRegistry:
    """All open cursors; only ever touched from the engine thread."""

    def __init__(self):
        self._cursors = {}
        self._random = random.SystemRandom()

    def _expire_idle(self):
        now = time.monotonic()
        for cursor_id in [c for c, cur in self._cursors.items() if now - cur.last_used > IDLE_TIMEOUT]:
            del self._cursors[cursor_id]

    def _new_id(self):
        while True:
            cursor_id = self._random.randrange(1, 2 ** 63)
            if cursor_id not in self._cursors:
                return cursor_id

    def open(self, ns, docs, batch_size, single_batch=False):
        """Create a cursor over docs and return the reply's ``cursor`` document."""
        self._expire_idle()
        encoded = [bson.encode(d) if not isinstance(d, bytes) else d for d in docs]
        cursor = Cursor(0, ns, encoded)
        first = cursor.next_batch(DEFAULT_FIRST_BATCH if batch_size is None else batch_size)
        cursor_id = 0
        if not cursor.exhausted and not single_batch:
            cursor_id = cursor.cursor_id = self._new_id()
            self._cursors[cursor_id] = cursor
        return {'firstBatch': first, 'id': Int64(cursor_id), 'ns': ns}

    def get_more(self, cursor_id, ns, batch_size):
        self._expire_idle()
        cursor = self._cursors.get(cursor_id)
        if cursor is None:
            raise CommandError(43, f'cursor id {cursor_id} not found')
        if cursor.ns != ns:
            raise CommandError(13, f'Requested getMore on namespace \'{ns}\', but cursor belongs '
                                   f'to a different namespace {cursor.ns}')
        batch = cursor.next_batch(batch_size)
        if cursor.exhausted:
            del self._cursors[cursor_id]
            cursor_id = 0
        return {'nextBatch': batch, 'id': Int64(cursor_id), 'ns': ns}

    def kill(self, ns, cursor_ids):
        killed, not_found = [], []
        for cursor_id in cursor_ids:
            cursor = self._cursors.get(cursor_id)
            if cursor is not None and cursor.ns == ns:
                del self._cursors[cursor_id]
                killed.append(Int64(cursor_id))
            else:
                not_found.append(Int64(cursor_id))
        return {'cursorsKilled': killed, 'cursorsNotFound': not_found,
                'cursorsAlive': [], 'cursorsUnknown': []}

    def kill_namespace(self, db_name, collection=None):
        """Drop the cursors of a dropped collection, or of a whole dropped database."""
        for cursor_id, cursor in list(self._cursors.items()):
            cursor_db, _, cursor_coll = cursor.ns.partition('.')
            if cursor_db == db_name and collection in (None, cursor_coll):
                del self._cursors[cursor_id]

    def __len__(self):
        return len(self._cursors)
