"""In-process tests of the engine pieces ($dateTrunc, BSON ordering, $group,
error mapping, version pinning) without a socket."""

import datetime
import random
import unittest
from unittest import mock

import mongomock
from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId

from mongo_stand_in import aggregation
from mongo_stand_in import bsonvalues
from mongo_stand_in import engine as engine_module
from mongo_stand_in import registry
from mongo_stand_in.errors import CommandError

D = datetime.datetime


class DateTruncTest(unittest.TestCase):
    def test_fixed_units(self):
        t = D(2024, 3, 17, 13, 47, 29, 123000)
        self.assertEqual(aggregation.date_trunc(t, 'millisecond'), t)
        self.assertEqual(aggregation.date_trunc(t, 'second'), D(2024, 3, 17, 13, 47, 29))
        self.assertEqual(aggregation.date_trunc(t, 'minute'), D(2024, 3, 17, 13, 47))
        self.assertEqual(aggregation.date_trunc(t, 'hour'), D(2024, 3, 17, 13))
        self.assertEqual(aggregation.date_trunc(t, 'day'), D(2024, 3, 17))
        self.assertEqual(aggregation.date_trunc(t, 'hour', 6), D(2024, 3, 17, 12))
        self.assertEqual(aggregation.date_trunc(t, 'minute', 15), D(2024, 3, 17, 13, 45))
        # bins count from 2000-01-01T00:00Z, also before it
        self.assertEqual(aggregation.date_trunc(D(1999, 12, 31, 23, 59), 'hour', 2), D(1999, 12, 31, 22))

    def test_calendar_units(self):
        t = D(2024, 8, 17, 13, 47)  # a Saturday
        self.assertEqual(aggregation.date_trunc(t, 'week'), D(2024, 8, 11))  # Sunday
        self.assertEqual(aggregation.date_trunc(t, 'week', start_of_week='monday'), D(2024, 8, 12))
        self.assertEqual(aggregation.date_trunc(t, 'week', start_of_week='sat'), D(2024, 8, 17))
        self.assertEqual(aggregation.date_trunc(t, 'month'), D(2024, 8, 1))
        self.assertEqual(aggregation.date_trunc(t, 'quarter'), D(2024, 7, 1))
        self.assertEqual(aggregation.date_trunc(t, 'year'), D(2024, 1, 1))
        self.assertEqual(aggregation.date_trunc(t, 'month', 5), D(2024, 8, 1))  # 295 months since 2000-01
        self.assertEqual(aggregation.date_trunc(t, 'month', 3), D(2024, 7, 1))  # 295 -> 294
        self.assertEqual(aggregation.date_trunc(t, 'year', 10), D(2020, 1, 1))

    def test_timezones(self):
        t = D(2024, 3, 17, 1, 30)  # 03:30 at +02:00, 20:30 the day before at -05:00
        self.assertEqual(aggregation.date_trunc(t, 'day', timezone='UTC'), D(2024, 3, 17))
        self.assertEqual(aggregation.date_trunc(t, 'day', timezone='+02:00'), D(2024, 3, 16, 22))
        self.assertEqual(aggregation.date_trunc(t, 'day', timezone='-0500'), D(2024, 3, 16, 5))
        with self.assertRaises(CommandError) as ctx:
            aggregation.date_trunc(t, 'day', timezone='Europe/Paris')
        self.assertEqual(ctx.exception.code, 238)

    def test_refusals(self):
        for kwargs, code in [({'unit': 'week', 'bin_size': 2}, 238), ({'unit': 'fortnight'}, 5439014),
                             ({'unit': 'day', 'bin_size': 0}, 5439018), ({'unit': 'day', 'bin_size': 1.5}, 5439018)]:
            with self.assertRaises(CommandError) as ctx:
                aggregation.date_trunc(D(2024, 1, 1), **kwargs)
            self.assertEqual(ctx.exception.code, code, kwargs)
        with self.assertRaises(CommandError):
            aggregation.date_trunc('2024-01-01', 'day')


class OrderingTest(unittest.TestCase):
    def test_type_brackets_and_binary_order(self):
        ordered = [MinKey(), None, -1.5, 2, Int64(3), '', 'a', 'b', {'a': 1}, [1], Binary(b'\x09', 0),
                   Binary(b'\x00\x00', 0), Binary(b'\x00\x00', 4), Binary(b'\x00\x01', 4), ObjectId(),
                   False, True, D(1970, 1, 1), D(2024, 1, 1), MaxKey()]
        shuffled = ordered[::-1]
        self.assertEqual(sorted(shuffled, key=bsonvalues.compare_key), ordered)

    def test_sort_documents_arrays_and_missing(self):
        docs = [{'i': 0, 'v': [5, 1]}, {'i': 1, 'v': 3}, {'i': 2}, {'i': 3, 'v': []}, {'i': 4, 'v': [2, 9]}]
        asc = [d['i'] for d in bsonvalues.sort_documents(docs, {'v': 1})]
        desc = [d['i'] for d in bsonvalues.sort_documents(docs, {'v': -1})]
        self.assertEqual(asc, [3, 2, 0, 4, 1])   # [] < missing < min 1 < min 2 < 3
        self.assertEqual(desc, [4, 0, 1, 2, 3])  # max 9 > max 5 > 3 > missing > []

    def test_equality_keys(self):
        eq = bsonvalues.equality_key
        self.assertEqual(eq(1), eq(1.0))
        self.assertEqual(eq(Int64(1)), eq(1))
        self.assertNotEqual(eq(True), eq(1))
        self.assertEqual(eq(None), eq(bsonvalues.NOTHING))
        self.assertNotEqual(eq(Binary(b'a', 0)), eq(Binary(b'a', 4)))
        self.assertNotEqual(eq({'a': 1, 'b': 2}), eq({'b': 2, 'a': 1}))


def _random_value(rng):
    choice = rng.randrange(8)
    if choice == 0:
        return bsonvalues.NOTHING
    if choice == 1:
        return None
    if choice == 2:
        return rng.choice([1, 2, 2.5, Int64(3)])
    if choice == 3:
        return rng.choice(['a', 'b', ''])
    if choice == 4:
        return D(2024, 1, rng.randrange(1, 4))
    if choice == 5:
        return Binary(bytes([rng.randrange(3)] * rng.randrange(1, 3)), rng.choice([0, 4]))
    if choice == 6:
        return [rng.randrange(3), rng.choice(['a', 2])]
    return {'x': rng.randrange(2)}


class RandomisedConsistencyTest(unittest.TestCase):
    """The fast paths (compiled matcher, cached sort orders) against the slow ones."""

    def test_compiled_matcher_agrees_with_mongomock(self):
        from mongo_stand_in import fastmatch  # pylint: disable=import-outside-toplevel
        from mongomock import filtering  # pylint: disable=import-outside-toplevel
        rng = random.Random(7)
        docs = []
        for i in range(300):
            doc = {'_id': i}
            for field in ('a', 'b'):
                value = _random_value(rng)
                if value is not bsonvalues.NOTHING:
                    doc[field] = value
            # 's' for dotted paths: a sub-document, a scalar, an array of sub-documents, missing
            inner = _random_value(rng)
            sub = {} if inner is bsonvalues.NOTHING else {'x': inner}
            shape = rng.randrange(4)
            if shape == 0:
                doc['s'] = sub
            elif shape == 1:
                doc['s'] = rng.choice([1, 'x', None])
            elif shape == 2:
                doc['s'] = [sub, {'x': rng.randrange(2)}]
            docs.append(doc)
        ops = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin', '$exists']
        compiled = 0
        for _ in range(400):
            field, op = rng.choice(['a', 'b', 's.x', 's.x']), rng.choice(ops)
            query = _random_value(rng)
            if op in ('$in', '$nin'):
                query = [_random_value(rng) for _ in range(2)]
            if op == '$exists':
                query = rng.choice([True, False])
            if query is bsonvalues.NOTHING or isinstance(query, (list, dict)) and op not in ('$in', '$nin'):
                continue
            filter_ = {field: {op: query}}
            if rng.random() < 0.3:
                filter_ = {'$or': [filter_, {'b' if field == 'a' else 'a': rng.choice([1, 'a', None])}]}
            if fastmatch.compile_filter(filter_) is None:
                continue
            compiled += 1
            match = fastmatch.matcher(filter_)
            for doc in docs:
                self.assertEqual(match(doc), filtering.filter_applies(filter_, doc), (filter_, doc))
        self.assertGreater(compiled, 150)
        self.assertIsNotNone(fastmatch.compile_filter({'s.x': 1, 'a': {'$gt': 0}}))
        self.assertIsNone(fastmatch.compile_filter({'s.$x': 1}))
        self.assertIsNone(fastmatch.compile_filter({'s..x': 1}))

    def test_cached_sort_orders_follow_every_write(self):
        eng = engine_module.Engine()
        rng = random.Random(3)

        def run(cmd):
            reply = eng.run('sortcache', dict(cmd, **{'$db': 'sortcache'}))
            self.assertEqual(reply['ok'], 1.0, reply)
            return reply

        specs = [{'a': 1}, {'a': -1, 'b': -1}, {'a': 1, 'b': -1}, {'b': 1, '_id': 1}]
        for step in range(150):
            action = rng.random()
            if action < 0.6:
                doc = {'_id': step}
                for field in ('a', 'b'):
                    value = _random_value(rng)
                    if value is not bsonvalues.NOTHING:
                        doc[field] = value
                run({'insert': 'c', 'documents': [doc]})
            elif action < 0.75:
                value = _random_value(rng)
                value = 0 if value is bsonvalues.NOTHING else value
                reply = run({'update': 'c', 'updates': [{'q': {'_id': rng.randrange(step + 1)},
                                                         'u': {'$set': {'a': value}}}]})
                self.assertNotIn('writeErrors', reply)
            elif action < 0.85:
                run({'delete': 'c', 'deletes': [{'q': {'_id': rng.randrange(step + 1)}, 'limit': 1}]})
            spec = rng.choice(specs)
            natural = list(eng.client._store['sortcache']['c'].documents)
            expected = [d['_id'] for d in bsonvalues.sort_documents(natural, spec)][:20]
            reply = run({'find': 'c', 'sort': spec, 'limit': 20, 'projection': {'_id': 1}})
            self.assertEqual([d['_id'] for d in reply['cursor']['firstBatch']], expected, (step, spec))


class EngineTest(unittest.TestCase):
    def setUp(self):
        self.engine = engine_module.Engine()

    def run_cmd(self, cmd, db='unit'):
        cmd = dict(cmd, **{'$db': db})
        return self.engine.run(db, cmd)

    def test_group_semantics(self):
        self.run_cmd({'insert': 'c', 'documents': [
            {'_id': 1, 'k': 0, 'v': 2, 'b': True}, {'_id': 2, 'k': 0, 'v': 3},
            {'_id': 3, 'k': '', 'v': 0}, {'_id': 4, 'v': Int64(5)}]})

        def agg(pipeline):
            reply = self.run_cmd({'aggregate': 'c', 'pipeline': pipeline, 'cursor': {}})
            self.assertEqual(reply['ok'], 1.0, reply)
            return [dict(d) for d in reply['cursor']['firstBatch']]

        rows = agg([{'$group': {'_id': '$k', 'n': {'$sum': 1}, 's': {'$sum': '$v'}, 'set': {'$addToSet': '$v'},
                                'first': {'$first': '$b'}, 'bools': {'$sum': '$b'}}},
                    {'$sort': {'_id': 1}}])
        self.assertEqual(rows, [
            {'_id': None, 'n': 1, 's': 5, 'set': [5], 'first': None, 'bools': 0},
            {'_id': 0, 'n': 2, 's': 5, 'set': [2, 3], 'first': True, 'bools': 0},
            {'_id': '', 'n': 1, 's': 0, 'set': [0], 'first': None, 'bools': 0}])
        self.assertEqual(agg([{'$match': {'v': 99}}, {'$group': {'_id': None, 'n': {'$sum': 1}}}]), [])
        self.assertEqual(agg([{'$match': {'_id': 4}}, {'$group': {'_id': None, 'n': {'$sum': '$v'}}}]),
                         [{'_id': None, 'n': 5}])
        with self.assertLogs('stand-in.engine', 'WARNING'):
            reply = self.run_cmd({'aggregate': 'c', 'pipeline': [{'$group': {'_id': 1, 'x': {'$median': {}}}}],
                                  'cursor': {}})
        self.assertEqual(reply['code'], 238)

    def test_a_read_over_its_time_limit_fails_and_leaves_no_cursor(self):
        self.run_cmd({'insert': 'c', 'documents': [{'_id': i} for i in range(10)]})
        with mock.patch.object(engine_module, '_clock', side_effect=[100.0, 100.5]):
            reply = self.run_cmd({'find': 'c', 'batchSize': 2, 'maxTimeMS': 499})
        self.assertEqual((reply['ok'], reply['code'], reply['codeName']), (0.0, 50, 'MaxTimeMSExpired'))
        self.assertEqual(len(self.engine.cursors), 0)
        with mock.patch.object(engine_module, '_clock', side_effect=[100.0, 100.4]):
            reply = self.run_cmd({'find': 'c', 'batchSize': 2, 'maxTimeMS': 499})
        self.assertEqual(reply['ok'], 1.0, reply)
        self.assertEqual(len(self.engine.cursors), 1)

    def test_python_exception_becomes_internal_error(self):
        def boom(engine, db_name, cmd):
            raise ValueError('kaboom')
        spec = registry.CommandSpec('boom', boom, (), ())
        with mock.patch.dict(registry.COMMANDS, {'boom': spec}), self.assertLogs('stand-in.engine', 'ERROR'):
            reply = self.run_cmd({'boom': 1})
        self.assertEqual((reply['ok'], reply['code'], reply['codeName']), (0.0, 1, 'InternalError'))
        self.assertIn('kaboom', reply['errmsg'])

    def test_write_error_in_statement_is_reported_per_index(self):
        reply = self.run_cmd({'insert': 'w', 'documents': [{'_id': 1}, {'_id': [1]}, {'_id': 2}],
                              'ordered': False})
        self.assertEqual(reply['n'], 2)
        self.assertEqual([(e['index'], e['code']) for e in reply['writeErrors']], [(1, 2)])

    def test_unique_index_over_arrays_is_refused(self):
        self.run_cmd({'createIndexes': 'm', 'indexes': [{'key': {'tags': 1}, 'name': 't', 'unique': True}]})
        reply = self.run_cmd({'insert': 'm', 'documents': [{'tags': ['a', 'b']}]})
        self.assertEqual(reply['writeErrors'][0]['code'], 238)
        self.assertEqual(self.run_cmd({'count': 'm'})['n'], 0)

    def test_inc_keeps_bson_numeric_types(self):
        self.run_cmd({'insert': 'n', 'documents': [
            {'_id': 1, 'long': Int64(5), 'int': 2 ** 31 - 1, 'small': 1, 'dbl': 1, 'dec': Decimal128('1.5'),
             'arr': [Int64(1)], 'text': 'x'}]})
        reply = self.run_cmd({'update': 'n', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {
            'long': 1, 'int': 1, 'small': 1, 'dbl': 0.5, 'dec': 1, 'arr.0': 1, 'added': Int64(3)}}}]})
        self.assertNotIn('writeErrors', reply)
        doc = self.engine.collection('unit', 'n')._store.get(1)
        self.assertEqual({k: (v, type(v)) for k, v in doc.items() if k not in ('_id', 'text')}, {
            'long': (6, Int64), 'int': (2 ** 31, Int64), 'small': (2, int), 'dbl': (1.5, float),
            'dec': (Decimal128('2.5'), Decimal128), 'arr': ([Int64(2)], list), 'added': (3, Int64)})
        self.assertIsInstance(doc['arr'][0], Int64)
        reply = self.run_cmd({'update': 'n', 'updates': [{'q': {'_id': 1}, 'u': {'$inc': {'text': 1}}}]})
        self.assertEqual(reply['writeErrors'][0]['code'], 14)

    def test_refuses_other_mongomock_versions(self):
        with mock.patch.object(mongomock, '__version__', '4.2.0'):
            with self.assertRaises(SystemExit):
                engine_module.check_version()


if __name__ == '__main__':
    unittest.main()
