"""$merge end to end: every whenMatched/whenNotMatched mode, the unique index rule, the
validator, maxTimeMS, concurrent identical merges, and the hourly-rollup pipeline."""

import datetime
import threading
import unittest

from pymongo.errors import OperationFailure

from .standin_fixture import StandInProcess

BASE = datetime.datetime(2024, 3, 1, 10, 5)


def events():
    return [{'_id': i, 'at': BASE + datetime.timedelta(minutes=20 * i), 'type': ('view', 'search')[i % 2],
             'who': f'u{i % 3}', 'tags': ['a', 'b'] if i % 2 else ['b']} for i in range(9)]


ROLLUP = [
    {'$group': {'_id': {'hour': {'$dateTrunc': {'date': '$at', 'unit': 'hour', 'timezone': 'UTC'}},
                        'type': '$type'},
                'count': {'$sum': 1}, 'users': {'$addToSet': '$who'}, 'first': {'$min': '$at'},
                'last': {'$max': '$at'}}},
    {'$project': {'_id': 0, 'hour': '$_id.hour', 'type': '$_id.type', 'count': 1, 'users': 1,
                  'first': 1, 'last': 1}},
]


class MergeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StandInProcess()
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        assert cls.server.stop() == 0, cls.server.log_tail()

    def setUp(self):
        self.db = self.client[f'm_{self._testMethodName}'[:60]]
        self.db.events.insert_many(events())

    def tearDown(self):
        self.client.drop_database(self.db.name)

    def merge(self, pipeline, source='events', **kwargs):
        reply = self.db.command('aggregate', source, pipeline=pipeline, cursor={}, **kwargs)
        self.assertEqual((reply['cursor']['firstBatch'], reply['cursor']['id']), ([], 0))
        return reply

    def assertCode(self, code, pipeline, **kwargs):
        with self.assertRaises(OperationFailure) as ctx:
            self.db.command('aggregate', 'events', pipeline=pipeline, cursor={}, **kwargs)
        self.assertEqual(ctx.exception.code, code, ctx.exception.details)
        return ctx.exception

    def target(self, name='out'):
        return sorted(self.db[name].find({}, {'_id': 0}), key=lambda d: (d['hour'], d['type']))

    def test_the_hourly_rollup_is_idempotent(self):
        self.db.out.create_index([('hour', 1), ('type', 1)], unique=True, name='hour_type')
        merge = {'$merge': {'into': 'out', 'on': ['hour', 'type'], 'whenMatched': 'replace',
                            'whenNotMatched': 'insert'}}
        self.merge(ROLLUP + [merge])
        first = self.target()
        self.assertEqual([(r['hour'].hour, r['type'], r['count'], sorted(r['users'])) for r in first], [
            (10, 'search', 1, ['u1']), (10, 'view', 2, ['u0', 'u2']), (11, 'search', 2, ['u0', 'u2']),
            (11, 'view', 1, ['u1']), (12, 'search', 1, ['u1']), (12, 'view', 2, ['u0', 'u2'])])
        self.assertEqual(first[1]['first'], BASE)
        ids = sorted(d['_id'] for d in self.db.out.find())
        self.merge(ROLLUP + [merge])
        self.assertEqual(self.target(), first)
        self.assertEqual(sorted(d['_id'] for d in self.db.out.find()), ids, 'replaced in place')

    def test_modes(self):
        self.db.out.insert_many([{'_id': 0, 'type': 'old', 'keep': 1}, {'_id': 100, 'type': 'other'}])
        self.merge([{'$match': {'_id': {'$lt': 2}}}, {'$project': {'type': 1}}, {'$merge': 'out'}])  # merge/insert
        self.assertEqual(self.db.out.find_one({'_id': 0}), {'_id': 0, 'type': 'view', 'keep': 1})
        self.assertEqual(self.db.out.find_one({'_id': 1}), {'_id': 1, 'type': 'search'})
        self.merge([{'$match': {'_id': 0}}, {'$project': {'who': 1}},
                    {'$merge': {'into': 'out', 'whenMatched': 'replace'}}])
        self.assertEqual(self.db.out.find_one({'_id': 0}), {'_id': 0, 'who': 'u0'})
        self.merge([{'$project': {'type': 'changed'}}, {'$merge': {'into': 'out', 'whenMatched': 'keepExisting'}}])
        self.assertEqual(self.db.out.find_one({'_id': 0}), {'_id': 0, 'who': 'u0'})
        self.assertEqual(self.db.out.count_documents({}), 10)
        self.merge([{'$project': {'type': 1}},
                    {'$merge': {'into': 'out', 'whenMatched': 'merge', 'whenNotMatched': 'discard'}}])
        self.assertEqual(self.db.out.count_documents({}), 10)
        error = self.assertCode(13113, [{'$project': {'x': 1}},
                                        {'$merge': {'into': 'gone', 'whenNotMatched': 'fail'}}])
        self.assertEqual(error.details['codeName'], 'MergeStageNoMatchingDocument')
        error = self.assertCode(11000, [{'$merge': {'into': 'out', 'whenMatched': 'fail'}}])
        self.assertIn("$merge with whenMatched: fail found an existing document with the same values for "
                      "the 'on' fields :: caused by :: E11000", str(error))

    def test_pipeline_mode_sees_new_and_the_existing_document(self):
        self.db.out.insert_one({'_id': 1, 'n': 10, 'tags': ['z']})
        self.merge([{'$match': {'_id': {'$lte': 2}}}, {'$project': {'n': {'$literal': 5}, 'tags': 1}},
                    {'$merge': {'into': 'out', 'whenMatched': [
                        {'$set': {'n': {'$add': ['$n', '$$new.n']},
                                  'tags': {'$setUnion': ['$tags', '$$new.tags']},
                                  'missing': '$$new.nothing'}},
                        {'$addFields': {'copy': '$$new'}}, {'$unset': 'copy._id'}]}}])
        self.assertEqual(self.db.out.find_one({'_id': 1}),
                         {'_id': 1, 'n': 15, 'tags': ['a', 'b', 'z'], 'copy': {'n': 5, 'tags': ['a', 'b']}})
        self.assertEqual(self.db.out.find_one({'_id': 2}), {'_id': 2, 'tags': ['b'], 'n': 5}, 'inserted as is')
        self.assertCode(72, [{'$merge': {'into': 'out', 'whenMatched': [{'$group': {'_id': 1}}]}}])

    def test_refusals_like_mongod(self):
        self.assertCode(51183, [{'$merge': {'into': 'out', 'on': 'type'}}])  # no such unique index
        self.db.out.create_index('type', unique=True, partialFilterExpression={'type': {'$exists': True}})
        self.assertCode(51183, [{'$merge': {'into': 'out', 'on': 'type'}}])  # partial does not count
        self.assertCode(40601, [{'$merge': 'out'}, {'$match': {}}])
        self.assertCode(51181, [{'$merge': {'into': 'out', 'whenMatched': 'fail', 'whenNotMatched': 'discard'}}])
        self.assertCode(31465, [{'$merge': {'into': 'out', 'on': ['_id', '_id']}}])
        self.assertCode(40415, [{'$merge': {'into': 'out', 'bogus': 1}}])
        self.assertCode(14, [{'$merge': 5}])
        self.assertCode(51132, [{'$set': {'_id': None}}, {'$merge': 'out'}])
        self.db.arr.create_index('k', unique=True)
        self.assertCode(51185, [{'$set': {'k': [1]}}, {'$merge': {'into': 'arr', 'on': 'k'}}])
        self.db.arr.insert_one({'_id': 'x', 'k': 1})
        error = self.assertCode(66, [{'$match': {'_id': 0}}, {'$set': {'k': 1}}, {'$merge': {'into': 'arr', 'on': 'k'}}])
        self.assertIn('did you attempt to modify the _id or the shard key?', str(error))
        self.assertCode(238, [{'$merge': {'into': {'db': 'elsewhere', 'coll': 'out'}}}])
        self.assertCode(238, [{'$merge': {'into': 'out', 'whenMatched': [], 'let': {'v': 1}}}])
        self.assertCode(238, [{'$facet': {'x': [{'$merge': 'out'}]}}])
        self.assertCode(238, [{'$out': 'out'}])

    def test_writes_meet_the_validator(self):
        self.db.command('create', 'valid', validator={'$jsonSchema': {'required': ['type', 'who']}})
        self.merge([{'$match': {'_id': 1}}, {'$merge': 'valid'}])
        error = self.assertCode(121, [{'$project': {'type': 1}}, {'$merge': 'valid'}])
        self.assertEqual(error.details['errInfo']['failingDocumentId'], 0)
        self.assertEqual(self.db.valid.count_documents({}), 1, 'the first invalid document stops the merge')
        self.merge([{'$project': {'type': 1}}, {'$merge': 'valid'}], bypassDocumentValidation=True)
        self.assertEqual(self.db.valid.count_documents({}), 9)
        before = self.db.valid.find_one({'_id': 1})
        self.assertCode(121, [{'$match': {'_id': 1}}, {'$project': {'type': 1}},
                              {'$merge': {'into': 'valid', 'whenMatched': 'replace'}}])
        self.assertEqual(self.db.valid.find_one({'_id': 1}), before, 'a refused replacement is rolled back')
        self.db.command('collMod', 'valid', validationLevel='moderate')
        self.merge([{'$match': {'_id': 0}}, {'$project': {'n': {'$literal': 1}}}, {'$merge': 'valid'}])
        self.assertEqual(self.db.valid.find_one({'_id': 0}), {'_id': 0, 'type': 'view', 'n': 1},
                         'moderate: an already invalid document may stay invalid')
        self.assertCode(121, [{'$match': {'_id': 1}}, {'$project': {'type': 1}},
                              {'$merge': {'into': 'valid', 'whenMatched': 'replace'}}])

    def test_max_time_ms_before_writing(self):
        self.db.big.insert_many([{'i': i, 'k': f'k{i % 7}'} for i in range(20000)])
        slow = [{'$match': {'k': {'$in': ['k1', 'k2']}, 'i': {'$gte': 0}}}, {'$merge': 'slow'}]
        with self.assertRaises(OperationFailure) as ctx:
            self.db.command('aggregate', 'big', pipeline=slow, cursor={}, maxTimeMS=1)
        self.assertEqual(ctx.exception.code, 50)
        self.assertNotIn('slow', self.db.list_collection_names(), 'nothing written')
        self.db.command('aggregate', 'big', pipeline=slow, cursor={}, maxTimeMS=600_000)
        self.assertEqual(self.db.slow.count_documents({}), 2 * 2857)

    def test_concurrent_identical_merges_leave_the_same_result(self):
        self.db.out.create_index([('hour', 1), ('type', 1)], unique=True, name='hour_type')
        self.db.events.insert_many([{'at': BASE + datetime.timedelta(seconds=7 * i), 'type': f't{i % 40}',
                                     'who': f'w{i % 13}'} for i in range(3000)])
        merge = {'$merge': {'into': 'out', 'on': ['hour', 'type'], 'whenMatched': 'replace'}}
        errors = []

        def run():
            try:
                with self.server.client() as client:
                    client[self.db.name].command('aggregate', 'events', pipeline=ROLLUP + [merge], cursor={})
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(errors, [])
        concurrent = self.target()
        self.db.out.delete_many({})
        self.merge(ROLLUP + [merge])
        alone = self.target()
        for rows in (concurrent, alone):
            for row in rows:
                row['users'] = sorted(row['users'])
        self.assertEqual(concurrent, alone)
        self.assertEqual(sum(r['count'] for r in alone), 3009)


if __name__ == '__main__':
    unittest.main()
