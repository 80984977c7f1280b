"""The expression operators and stages rollup pipelines use, in-process: $dateToString,
$setUnion, $concatArrays, $size, $dateTrunc by hour/day, $unwind, $unset, $replaceWith and
the $group accumulators."""

import datetime
import unittest

import bson

from mongo_stand_in import engine as engine_module
from mongo_stand_in import expressions

AT = datetime.datetime(2024, 3, 1, 10, 17, 3, 123000)  # a Friday


class ExpressionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.engine = engine_module.Engine()
        cls.run_cmd({'insert': 'c', 'documents': [
            {'_id': 1, 'at': AT, 'tags': ['b', 'a'], 'more': ['c', 'a'], 'n': 2, 'who': 'x'},
            {'_id': 2, 'at': AT + datetime.timedelta(hours=20), 'tags': [{'k': 1}], 'more': None, 'n': 5, 'who': 'y'},
            {'_id': 3, 'n': 1, 'who': 'x'}]})

    @classmethod
    def run_cmd(cls, cmd):
        return cls.engine.run('expr', dict(cmd, **{'$db': 'expr'}))

    def aggregate(self, pipeline):
        reply = self.run_cmd({'aggregate': 'c', 'pipeline': pipeline, 'cursor': {}})
        self.assertEqual(reply['ok'], 1.0, reply)
        return [bson.decode(d.raw) for d in reply['cursor']['firstBatch']]

    def project(self, expression, doc_id=1):
        [row] = self.aggregate([{'$match': {'_id': doc_id}}, {'$project': {'_id': 0, 'v': expression}}])
        return row.get('v', 'missing')

    def error(self, expression):
        reply = self.run_cmd({'aggregate': 'c', 'pipeline': [{'$project': {'v': expression}}], 'cursor': {}})
        self.assertEqual(reply['ok'], 0.0, reply)
        return reply['code']

    def test_date_to_string_formats(self):
        fmt = '%Y-%m-%d %H:%M:%S.%L|%j|%U|%V|%G|%w|%u|%z|%Z|%%'
        self.assertEqual(expressions.format_date(AT, fmt), '2024-03-01 10:17:03.123|061|08|09|2024|6|5|+0000|+0|%')
        self.assertEqual(expressions.format_date(datetime.datetime(2021, 1, 1), '%G-W%V-%u %U'), '2020-W53-5 00')
        self.assertEqual(self.project({'$dateToString': {'date': '$at'}}), '2024-03-01T10:17:03.123Z')
        self.assertEqual(self.project({'$dateToString': {'date': '$at', 'timezone': '-02:30'}}),
                         '2024-03-01T07:47:03.123')
        self.assertEqual(self.project({'$dateToString': {'date': '$at', 'format': '%H%z', 'timezone': 'UTC'}}),
                         '10+0000')
        self.assertEqual(self.project({'$dateToString': {'date': '$at', 'format': '%Y-%m-%d'}}, 2), '2024-03-02')

    def test_date_to_string_null_and_errors(self):
        self.assertIsNone(self.project({'$dateToString': {'date': '$at'}}, 3))
        self.assertEqual(self.project({'$dateToString': {'date': '$at', 'onNull': 'never'}}, 3), 'never')
        self.assertEqual(self.project({'$dateToString': {'date': '$at', 'onNull': '$nope'}}, 3), 'missing')
        self.assertIsNone(self.project({'$dateToString': {'date': '$at', 'format': None}}))
        self.assertEqual(self.error({'$dateToString': {'date': '$at', 'format': '%Q'}}), 18536)
        self.assertEqual(self.error({'$dateToString': {'date': '$at', 'format': 'x%'}}), 18535)
        self.assertEqual(self.error({'$dateToString': {'date': '$who'}}), 16006)
        self.assertEqual(self.error({'$dateToString': {'format': '%Y'}}), 18628)
        with self.assertLogs('stand-in.engine', 'WARNING'):  # 238s are logged
            self.assertEqual(self.error({'$dateToString': {'date': '$at', 'timezone': 'Europe/Paris'}}), 238)

    def test_array_operators(self):
        self.assertEqual(self.project({'$setUnion': ['$tags', '$more', ['b']]}), ['a', 'b', 'c'])
        self.assertEqual(self.project({'$setUnion': '$tags'}), ['a', 'b'])
        self.assertIsNone(self.project({'$setUnion': ['$tags', '$more']}, 2))
        self.assertIsNone(self.project({'$setUnion': ['$tags', '$nope']}))
        self.assertEqual(self.error({'$setUnion': ['$tags', '$n']}), 17043)
        self.assertEqual(self.project({'$concatArrays': ['$tags', '$more', [1]]}), ['b', 'a', 'c', 'a', 1])
        self.assertEqual(self.project({'$concatArrays': '$tags'}), ['b', 'a'])
        self.assertIsNone(self.project({'$concatArrays': ['$tags', '$more']}, 2))
        self.assertEqual(self.error({'$concatArrays': ['$tags', '$n']}), 28664)
        self.assertEqual(self.project({'$size': '$tags'}), 2)
        self.assertEqual(self.project({'$size': [['$n', '$n']]}), 2)
        self.assertEqual(self.error({'$size': '$nope'}), 17124)

    def test_stages(self):
        rows = self.aggregate([{'$match': {'_id': 1}}, {'$unwind': {'path': '$tags', 'includeArrayIndex': 'i'}},
                               {'$unset': ['more', 'at']}, {'$replaceWith': {'t': '$tags', 'i': '$i'}}])
        self.assertEqual(rows, [{'t': 'b', 'i': 0}, {'t': 'a', 'i': 1}])
        self.assertEqual(self.aggregate([{'$match': {'_id': 3}}, {'$unset': 'who'}]), [{'_id': 3, 'n': 1}])
        reply = self.run_cmd({'aggregate': 'c', 'pipeline': [{'$unset': []}], 'cursor': {}})
        self.assertEqual(reply['code'], 31119)

    def test_group_accumulators_by_hour_and_day(self):
        rows = self.aggregate([
            {'$match': {'at': {'$exists': True}}},
            {'$group': {'_id': {'$dateTrunc': {'date': '$at', 'unit': 'day', 'timezone': 'UTC'}},
                        'n': {'$sum': '$n'}, 'who': {'$addToSet': '$who'}, 'first': {'$first': '$_id'},
                        'max': {'$max': '$at'}, 'min': {'$min': '$n'}}},
            {'$sort': {'_id': 1}}])
        self.assertEqual(rows, [
            {'_id': datetime.datetime(2024, 3, 1), 'n': 2, 'who': ['x'], 'first': 1, 'max': AT, 'min': 2},
            {'_id': datetime.datetime(2024, 3, 2), 'n': 5, 'who': ['y'], 'first': 2,
             'max': AT + datetime.timedelta(hours=20), 'min': 5}])
        hours = self.aggregate([{'$match': {'_id': 1}}, {'$project': {'_id': 0, 'h': {'$dateTrunc': {
            'date': '$at', 'unit': 'hour', 'timezone': 'UTC'}}}}])
        self.assertEqual(hours, [{'h': datetime.datetime(2024, 3, 1, 10)}])


if __name__ == '__main__':
    unittest.main()
