"""End-to-end tests: the stand-in on a free port, exercised through pymongo and raw frames.

    .venv/bin/python -m unittest discover -s tests -t . -v     (from tools/mongo-stand-in)
"""

import datetime
import socket
import struct
import threading
import unittest
import uuid

import bson
from bson.binary import Binary
from bson.int64 import Int64
from pymongo.errors import BulkWriteError, OperationFailure
from pymongo.operations import IndexModel

from .standin_fixture import StandInProcess

BASE = datetime.datetime(2024, 3, 1, 10, 0)


def uid():
    return Binary(uuid.uuid4().bytes, 4)


def events(n, start=0):
    return [{'_id': uid(), 'seq': i, 'occurred_at': BASE + datetime.timedelta(minutes=7 * (i // 2)),
             'kind': f'kind{i % 3}'} for i in range(start, start + n)]


class StandInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # TTL scans every second, so the expiry test need not wait a minute.
        cls.server = StandInProcess(extra_args=('--ttl-monitor-seconds', '1'))
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        code = cls.server.stop()
        assert code == 0, f'stand-in exited with {code}:\n{cls.server.log_tail()}'

    def setUp(self):
        self.db = self.client[f'test_{self._testMethodName}'[:60]]
        self.coll = self.db.events

    def tearDown(self):
        self.client.drop_database(self.db.name)

    def assertCode(self, code, func, *args, **kwargs):
        with self.assertRaises(OperationFailure) as ctx:
            func(*args, **kwargs)
        self.assertEqual(ctx.exception.code, code, ctx.exception.details)
        return ctx.exception

    # ------------------------------------------------------------ protocol
    def test_hello_reply(self):
        hello = self.client.admin.command('hello')
        self.assertTrue(hello['helloOk'] and hello['isWritablePrimary'])
        self.assertEqual((hello['minWireVersion'], hello['maxWireVersion']), (0, 21))
        self.assertEqual(hello['logicalSessionTimeoutMinutes'], 30)
        self.assertEqual(hello['maxBsonObjectSize'], 16777216)
        self.assertIsInstance(hello['localTime'], datetime.datetime)
        for absent in ('topologyVersion', 'setName', 'compression'):
            self.assertNotIn(absent, hello)
        self.assertTrue(self.client.admin.command('isMaster')['ismaster'])
        info = self.client.admin.command('buildInfo')
        self.assertEqual(info['versionArray'][:2], [7, 0])

    def _raw(self, sock, op_code, payload, request_id):
        sock.sendall(struct.pack('<iiii', 16 + len(payload), request_id, 0, op_code) + payload)

    def _read_reply(self, sock):
        header = b''
        while len(header) < 16:
            header += sock.recv(16 - len(header))
        length, _req, response_to, op_code = struct.unpack('<iiii', header)
        body = b''
        while len(body) < length - 16:
            body += sock.recv(length - 16 - len(body))
        return response_to, op_code, body

    def test_raw_frames_op_query_checksum_and_more_to_come(self):
        with socket.create_connection(('127.0.0.1', self.server.port), timeout=5) as sock:
            # legacy OP_QUERY handshake -> OP_REPLY
            query = struct.pack('<i', 0) + b'admin.$cmd\x00' + struct.pack('<ii', 0, -1)
            self._raw(sock, 2004, query + bson.encode({'isMaster': 1}), 7)
            response_to, op_code, body = self._read_reply(sock)
            self.assertEqual((response_to, op_code), (7, 1))
            reply = bson.decode(body[20:])
            self.assertTrue(reply['ismaster'] and reply['helloOk'])
            # OP_MSG with a (not verified) CRC-32C trailer
            msg = struct.pack('<IB', 1, 0) + bson.encode({'ping': 1, '$db': 'admin'}) + b'\0\0\0\0'
            self._raw(sock, 2013, msg, 8)
            response_to, op_code, body = self._read_reply(sock)
            self.assertEqual((response_to, op_code, bson.decode(body[5:])['ok']), (8, 2013, 1.0))
            # moreToCome insert (no reply) with a kind-1 document sequence, then a find
            docs = b''.join(bson.encode({'_id': i}) for i in range(3))
            seq = struct.pack('<i', 4 + len(b'documents\x00') + len(docs)) + b'documents\x00' + docs
            msg = struct.pack('<IB', 2, 0) + bson.encode({'insert': 'raw', '$db': self.db.name}) + b'\x01' + seq
            self._raw(sock, 2013, msg, 9)
            msg = struct.pack('<IB', 0, 0) + bson.encode({'count': 'raw', '$db': self.db.name})
            self._raw(sock, 2013, msg, 10)
            response_to, _, body = self._read_reply(sock)
            self.assertEqual((response_to, bson.decode(body[5:])['n']), (10, 3))

    def test_malformed_frame_closes_only_that_connection(self):
        with socket.create_connection(('127.0.0.1', self.server.port), timeout=5) as sock:
            self._raw(sock, 2013, struct.pack('<IB', 0, 7) + b'garbage', 11)  # unknown section kind
            self.assertEqual(sock.recv(16), b'')  # closed by the server
        self.assertEqual(self.client.admin.command('ping')['ok'], 1.0)

    # ------------------------------------------------------------ writes
    def test_insert_many_unordered_duplicates(self):
        docs = events(5)
        self.coll.insert_many(docs)
        batch = events(3, start=10)
        batch.insert(1, {'_id': docs[2]['_id'], 'seq': 99})
        with self.assertRaises(BulkWriteError) as ctx:
            self.coll.insert_many(batch, ordered=False)
        details = ctx.exception.details
        self.assertEqual(details['nInserted'], 3)
        [error] = details['writeErrors']
        self.assertEqual((error['index'], error['code']), (1, 11000))
        self.assertIn(f'collection: {self.db.name}.events index: _id_ dup key: {{ _id: UUID(', error['errmsg'])
        self.assertEqual(error['keyValue'], {'_id': docs[2]['_id']})
        self.assertEqual(self.coll.count_documents({}), 8)

    def test_insert_ordered_stops_and_unique_secondary_index(self):
        self.coll.create_index('seq', unique=True, name='seq_1')
        self.coll.insert_many(events(3))
        with self.assertRaises(BulkWriteError) as ctx:
            self.coll.insert_many([{'seq': 10}, {'seq': 1}, {'seq': 11}], ordered=True)
        [error] = ctx.exception.details['writeErrors']
        self.assertEqual((error['index'], error['code'], error['keyPattern']), (1, 11000, {'seq': 1}))
        self.assertIn('index: seq_1 dup key: { seq: 1 }', error['errmsg'])
        self.assertEqual(self.coll.count_documents({}), 4)  # {seq: 11} never attempted
        # an update creating a duplicate is refused and rolled back
        self.assertCode(11000, self.coll.update_one, {'seq': 2}, {'$set': {'seq': 0}})
        self.assertEqual(self.coll.count_documents({'seq': 2}), 1)
        # the freed key can be reused after a delete
        self.coll.delete_one({'seq': 2})
        self.coll.insert_one({'seq': 2})

    def test_update_delete_find_and_modify(self):
        self.coll.insert_many([{'_id': i, 'n': i, 'tags': []} for i in range(5)])
        res = self.coll.update_one({'_id': 1}, {'$set': {'x': 'a'}, '$inc': {'n': 10}, '$push': {'tags': 't'}})
        self.assertEqual((res.matched_count, res.modified_count), (1, 1))
        self.assertEqual(self.coll.find_one({'_id': 1}), {'_id': 1, 'n': 11, 'tags': ['t'], 'x': 'a'})
        self.assertEqual(self.coll.update_many({'n': {'$lt': 5}}, {'$set': {'low': True}}).modified_count, 4)
        res = self.coll.update_one({'_id': 42}, {'$set': {'n': 42}}, upsert=True)
        self.assertEqual(res.upserted_id, 42)
        self.coll.replace_one({'_id': 0}, {'replaced': True})
        self.assertEqual(self.coll.find_one({'_id': 0}), {'_id': 0, 'replaced': True})
        doc = self.coll.find_one_and_update({'_id': 2}, {'$inc': {'n': 1}}, return_document=True)
        self.assertEqual(doc['n'], 3)
        doc = self.coll.find_one_and_delete({'low': True}, sort=[('n', -1)])
        self.assertEqual(doc['_id'], 4)
        self.assertEqual(self.coll.delete_many({'low': True}).deleted_count, 2)
        self.assertEqual(sorted(d['_id'] for d in self.coll.find()), [0, 1, 42])
        self.coll.delete_many({})
        self.assertIn('events', self.db.list_collection_names())  # emptied, not dropped

    # ------------------------------------------------------------ reads
    def test_keyset_pagination_on_dates_and_uuids(self):
        docs = events(35)
        self.coll.insert_many(docs)
        self.assertEqual(self.coll.find_one({'_id': docs[3]['_id']}, sort=[('seq', -1)])['seq'], 3)
        expected = sorted(docs, key=lambda d: (d['occurred_at'], bytes(d['_id'])), reverse=True)
        seen, last = [], None
        while True:
            filter_ = {'seq': {'$gte': 0}}
            if last is not None:
                filter_['$or'] = [{'occurred_at': {'$lt': last['occurred_at']}},
                                  {'occurred_at': last['occurred_at'], '_id': {'$lt': last['_id']}}]
            page = list(self.coll.find(filter_).sort([('occurred_at', -1), ('_id', -1)]).limit(10))
            if not page:
                break
            seen.extend(page)
            last = page[-1]
        self.assertEqual([d['_id'] for d in seen], [d['_id'] for d in expected])
        self.assertTrue(all(d['_id'].subtype == 4 for d in seen))
        page = list(self.coll.find({'occurred_at': {'$gte': BASE + datetime.timedelta(minutes=35)}},
                                   {'seq': 1, '_id': 0}).sort('seq', 1).skip(2).limit(3))
        self.assertEqual(page, [{'seq': 12}, {'seq': 13}, {'seq': 14}])

    def test_binary_comparison_order(self):
        values = [Binary(b'\x02', 0), Binary(b'\x01\x01', 0), Binary(b'\x00\x00', 4),
                  Binary(b'\x00\x01', 4), Binary(b'\x00' * 16, 4)]
        self.coll.insert_many([{'v': v, 'i': i} for i, v in enumerate(values)])
        self.assertEqual([d['i'] for d in self.coll.find().sort('v', 1)], [0, 1, 2, 3, 4])
        self.assertEqual(sorted(d['i'] for d in self.coll.find({'v': {'$lt': Binary(b'\x00\x00', 4)}})), [0, 1])
        self.assertEqual(sorted(d['i'] for d in self.coll.find({'v': {'$gt': Binary(b'\xff\xff', 0)}})), [2, 3, 4])

    def test_types_round_trip(self):
        when = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)
        doc = {'_id': 1, 'i32': 7, 'i64': Int64(7), 'f': 1.5, 'dec': bson.Decimal128('1.10'), 'd': when,
               'u': uid(), 'b': b'raw', 'arr': [1, 'a', None], 'sub': {'x': [{'y': 1}]}, 'n': None}
        self.coll.insert_one(dict(doc))
        back = self.coll.find_one({'_id': 1})
        self.assertEqual(back, doc)
        self.assertIsInstance(back['i64'], Int64)
        self.assertNotIsInstance(back['i32'], Int64)

    def test_get_more_batches_and_kill_cursors(self):
        self.coll.insert_many([{'_id': i} for i in range(30)])
        first = self.db.command('find', 'events', batchSize=10)['cursor']
        self.assertEqual(len(first['firstBatch']), 10)
        self.assertIsInstance(first['id'], Int64)
        ids = [d['_id'] for d in first['firstBatch']]
        for expect_open in (True, False):
            more = self.db.command('getMore', first['id'], collection='events', batchSize=10)['cursor']
            ids += [d['_id'] for d in more['nextBatch']]
            self.assertEqual(more['id'] != 0, expect_open)  # look-ahead: last batch says 0
        self.assertEqual(ids, list(range(30)))
        self.assertCode(43, self.db.command, 'getMore', first['id'], collection='events')
        default = self.db.command('find', 'events', filter={})['cursor']
        self.assertEqual(len(default['firstBatch']), 30)
        self.assertEqual(default['id'], 0)
        self.coll.insert_many([{'_id': i} for i in range(30, 250)])
        big = self.db.command('find', 'events')['cursor']
        self.assertEqual(len(big['firstBatch']), 101)
        killed = self.db.command('killCursors', 'events', cursors=[big['id'], Int64(12345)])
        self.assertEqual((killed['cursorsKilled'], killed['cursorsNotFound']), ([big['id']], [12345]))
        self.assertCode(43, self.db.command, 'getMore', big['id'], collection='events')
        self.assertEqual(len(list(self.coll.find().batch_size(7))), 250)
        single = self.db.command('find', 'events', limit=-5)['cursor']
        self.assertEqual((len(single['firstBatch']), single['id']), (5, 0))

    def test_batches_respect_16_mib(self):
        blob = 'x' * (1024 * 1024)
        for i in range(20):
            self.coll.insert_one({'_id': i, 'blob': blob})
        first = self.db.command('find', 'events')['cursor']
        self.assertLess(len(first['firstBatch']), 16)
        self.assertLessEqual(sum(len(bson.encode(d)) for d in first['firstBatch']), 16 * 1024 * 1024)
        self.assertEqual([d['_id'] for d in self.coll.find({}, {'_id': 1})], list(range(20)))
        self.assertEqual(len(list(self.coll.find())), 20)

    def test_count_distinct_list_and_drop(self):
        self.coll.insert_many([{'k': 'a', 't': [1, 2]}, {'k': 'b', 't': [2, 3]}, {'k': 'a'}, {'k': None}])
        self.assertEqual(self.db.command('count', 'events', query={'k': 'a'})['n'], 2)
        self.assertEqual(self.coll.estimated_document_count(), 4)
        self.assertEqual(sorted(self.coll.distinct('t')), [1, 2, 3])
        self.assertEqual(self.coll.distinct('k', {'t': 2}), ['a', 'b'])
        self.db.create_collection('other')
        # mongod 7.0: the same options again succeed, other options are 48 NamespaceExists
        self.assertEqual(self.db.command('create', 'other')['ok'], 1.0)
        error = self.assertCode(48, self.db.command, 'create', 'other', validationLevel='moderate')
        self.assertIn('already exists, but with different options: { uuid: UUID(', str(error))
        self.assertEqual(sorted(self.db.list_collection_names()), ['events', 'other'])
        info = next(self.db.list_collections(filter={'name': 'other'}))
        self.assertEqual(info['info']['uuid'].subtype, 4)
        self.assertIn(self.db.name, self.client.list_database_names())
        self.db.drop_collection('other')
        self.assertEqual(self.db.list_collection_names(), ['events'])
        self.client.drop_database(self.db.name)
        self.assertNotIn(self.db.name, self.client.list_database_names())
        self.assertEqual(self.coll.count_documents({}), 0)

    def test_max_time_ms_limits_reads(self):
        self.coll.insert_many(events(5000))
        slow_filter = {'kind': {'$in': ['kind1', 'kind2']}, 'seq': {'$gte': 0}}
        error = self.assertCode(50, lambda: list(self.coll.find(slow_filter).sort('occurred_at', -1).max_time_ms(1)))
        self.assertEqual(error.details['codeName'], 'MaxTimeMSExpired')
        self.assertCode(50, lambda: list(self.coll.aggregate(
            [{'$match': slow_filter}, {'$group': {'_id': '$kind', 'n': {'$sum': 1}}}], maxTimeMS=1)))
        # A generous limit, or none, answers.
        self.assertEqual(len(list(self.coll.find(slow_filter).max_time_ms(60_000))), 3333)
        self.assertEqual(len(list(self.coll.find(slow_filter))), 3333)
        self.assertCode(14, self.db.command, 'find', 'events', maxTimeMS='soon')
        self.assertCode(2, self.db.command, 'find', 'events', maxTimeMS=-1)

    # ------------------------------------------------------------ indexes
    def test_create_indexes_idempotent_conflicts_and_list(self):
        models = [IndexModel([('occurred_at', -1), ('_id', -1)], name='by_time'),
                  IndexModel([('seq', 1)], name='seq_u', unique=True),
                  IndexModel([('occurred_at', 1)], name='ttl', expireAfterSeconds=3600),
                  IndexModel([('kind', 1)], name='partial', partialFilterExpression={'kind': {'$exists': True}})]
        self.assertEqual(self.coll.create_indexes(models), ['by_time', 'seq_u', 'ttl', 'partial'])
        reply = self.db.command('createIndexes', 'events', indexes=[m.document for m in models])
        self.assertEqual((reply['numIndexesBefore'], reply['numIndexesAfter']), (5, 5))
        self.assertEqual(reply['note'], 'all indexes already exist')
        listed = {ix['name']: ix for ix in self.coll.list_indexes()}
        self.assertEqual(listed['_id_'], {'v': 2, 'key': {'_id': 1}, 'name': '_id_'})
        self.assertEqual(listed['by_time']['key'], {'occurred_at': -1, '_id': -1})
        self.assertEqual((listed['seq_u']['unique'], listed['ttl']['expireAfterSeconds']), (True, 3600))
        self.assertEqual(listed['partial']['partialFilterExpression'], {'kind': {'$exists': True}})
        self.assertCode(85, self.coll.create_index, [('seq', 1)], name='seq_u')  # options differ
        self.assertCode(86, self.coll.create_index, [('kind', -1)], name='seq_u')  # key differs
        self.assertCode(85, self.coll.create_index, [('seq', 1)], name='other', unique=True)
        self.coll.drop_index('partial')
        self.assertCode(27, self.coll.drop_index, 'partial')
        self.assertCode(72, self.coll.drop_index, '_id_')
        self.assertCode(26, self.db.command, 'listIndexes', 'nope')
        self.coll.insert_many([{'dup': 1, 'seq': 100}, {'dup': 1, 'seq': 101}])  # missing seq = null: unique!
        self.assertCode(11000, self.coll.create_index, 'dup', unique=True)
        self.assertNotIn('dup_1', self.coll.index_information())

    def test_ttl_index_expires_documents(self):
        self.coll.create_index('at', expireAfterSeconds=1)
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=1)
        self.coll.insert_many([{'at': old}, {'at': datetime.datetime.utcnow() + datetime.timedelta(hours=1)}])
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=5)
        while self.coll.count_documents({}) > 1 and datetime.datetime.now() < deadline:
            threading.Event().wait(0.2)
        self.assertEqual(self.coll.count_documents({}), 1)

    # ------------------------------------------------------------ aggregation
    def test_aggregation_pipelines(self):
        self.coll.insert_many(events(35))
        self.assertEqual(self.coll.count_documents({'kind': 'kind0'}), 12)
        self.assertEqual(self.coll.count_documents({'kind': 'none'}), 0)
        rows = list(self.coll.aggregate([
            {'$match': {'seq': {'$lt': 100}}},
            {'$group': {'_id': {'$dateTrunc': {'date': '$occurred_at', 'unit': 'hour', 'timezone': 'UTC'}},
                        'n': {'$sum': 1}, 'first': {'$first': '$seq'}, 'kinds': {'$addToSet': '$kind'},
                        'c': {'$count': {}}}},
            {'$addFields': {'nkinds': {'$size': '$kinds'}}},
            {'$set': {'hour': {'$hour': '$_id'}}},
            {'$project': {'kinds': 0}},
            {'$sort': {'_id': -1}}, {'$skip': 0}, {'$limit': 5}]))
        self.assertEqual([r['_id'] for r in rows], [BASE + datetime.timedelta(hours=1), BASE])
        self.assertEqual([(r['n'], r['c'], r['first'], r['nkinds'], r['hour']) for r in rows],
                         [(17, 17, 18, 3, 11), (18, 18, 0, 3, 10)])
        self.assertNotIn('kinds', rows[0])
        skipped = list(self.coll.aggregate([{'$sort': {'seq': -1}}, {'$skip': 30}, {'$limit': 3},
                                            {'$project': {'_id': 0, 'seq': 1}}]))
        self.assertEqual(skipped, [{'seq': 4}, {'seq': 3}, {'seq': 2}])
        self.assertEqual(list(self.coll.aggregate([{'$match': {'kind': 'none'}}, {'$count': 'n'}])), [])
        self.assertEqual(list(self.coll.aggregate([{'$match': {'seq': {'$lt': 3}}}, {'$count': 'n'}])), [{'n': 3}])
        groups = list(self.coll.aggregate([{'$group': {'_id': {'$mod': ['$seq', 2]}, 'n': {'$sum': 1}}},
                                           {'$sort': {'_id': 1}}]))
        self.assertEqual(groups, [{'_id': 0, 'n': 18}, {'_id': 1, 'n': 17}])
        day = list(self.coll.aggregate([{'$group': {'_id': {'$dateTrunc': {'date': '$occurred_at', 'unit': 'day'}},
                                                    'n': {'$sum': 1}}}]))
        self.assertEqual(day, [{'_id': datetime.datetime(2024, 3, 1), 'n': 35}])
        cursor = self.db.command('aggregate', 'events', pipeline=[], cursor={'batchSize': 4})['cursor']
        self.assertEqual((len(cursor['firstBatch']), cursor['id'] != 0), (4, True))

    # ------------------------------------------------------------ refusals
    def test_unsupported_and_unknown(self):
        self.coll.insert_one({'a': 1, 'at': BASE})
        self.assertCode(59, self.db.command, 'noSuchCommand')
        self.assertCode(238, self.db.command, 'explain', {'find': 'events'})
        self.assertCode(238, lambda: list(self.coll.find({'$text': {'$search': 'x'}})))
        self.assertCode(238, lambda: list(self.coll.find({}, collation={'locale': 'fr'})))
        self.assertCode(238, lambda: list(self.coll.aggregate([{'$out': 'x'}])))
        self.assertCode(238, lambda: list(self.coll.aggregate([{'$project': {'x': {'$sortArray': {'input': []}}}}])))
        trunc = {'$dateTrunc': {'date': '$at', 'unit': 'week', 'binSize': 2}}
        self.assertCode(238, lambda: list(self.coll.aggregate([{'$project': {'x': trunc}}])))
        self.assertCode(238, self.db.command, 'find', 'events', startTransaction=True, autocommit=False,
                        txnNumber=Int64(1))
        self.assertCode(238, self.db.command, 'find', 'events', sort={'a': {'$meta': 'textScore'}})
        self.assertEqual(len(list(self.coll.find({'a': 1}).sort('at', -1))), 1)
        self.assertCode(40415, self.db.command, 'find', 'events', bogusOption=1)
        self.assertCode(14, self.db.command, 'find', 'events', filter='not a document')
        self.assertEqual(self.coll.count_documents({}), 1)  # the connection survived every error

    def test_many_concurrent_clients(self):
        errors = []

        def worker(n):
            try:
                with self.server.client(maxPoolSize=4) as client:
                    coll = client[f'{self.db.name}_{n}'].c
                    for b in range(5):
                        coll.insert_many([{'_id': uid(), 'b': b, 'i': i} for i in range(20)])
                        self.assertEqual(len(list(coll.find({'b': b}).sort('i', -1).limit(5))), 5)
                    self.assertEqual(coll.count_documents({}), 100)
                    client.drop_database(coll.database.name)
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(errors, [])


if __name__ == '__main__':
    unittest.main()
