"""$unionWith end to end: both argument forms, a filtered sub-pipeline, a missing collection,
grouping across the union (how rollups and raw events are summed), and the refusals."""

import unittest

from pymongo.errors import OperationFailure

from .standin_fixture import StandInProcess


class UnionWithTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StandInProcess()
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        assert cls.server.stop() == 0, cls.server.log_tail()

    def setUp(self):
        self.db = self.client[f'u_{self._testMethodName}'[:60]]
        self.db.rollups.insert_many([{'_id': 'h1|p1', 'key': 'p1', 'n': 5}, {'_id': 'h1|p2', 'key': 'p2', 'n': 1}])
        self.db.raw.insert_many([{'_id': i, 'key': ('p2', 'p3', 'p2')[i], 'at': i} for i in range(3)])

    def tearDown(self):
        self.client.drop_database(self.db.name)

    def aggregate(self, pipeline):
        return list(self.db.rollups.aggregate(pipeline))

    def assertCode(self, code, pipeline):
        with self.assertRaises(OperationFailure) as ctx:
            self.aggregate(pipeline)
        self.assertEqual(ctx.exception.code, code, ctx.exception.details)

    def test_the_union_follows_the_input_in_order(self):
        rows = self.aggregate([{'$project': {'_id': 0, 'key': 1}}, {'$unionWith': 'raw'}])
        self.assertEqual([row['key'] for row in rows], ['p1', 'p2', 'p2', 'p3', 'p2'])
        self.assertEqual(rows[2], {'_id': 0, 'key': 'p2', 'at': 0})

    def test_the_sub_pipeline_filters_and_shapes_and_the_group_sums_across(self):
        rows = self.aggregate([
            {'$project': {'_id': 0, 'key': 1, 'n': 1}},
            {'$unionWith': {'coll': 'raw', 'pipeline': [{'$match': {'at': {'$gte': 1}}},
                                                        {'$project': {'_id': 0, 'key': 1, 'n': {'$literal': 1}}}]}},
            {'$group': {'_id': '$key', 'n': {'$sum': '$n'}}},
            {'$sort': {'n': -1, '_id': 1}},
        ])
        self.assertEqual(rows, [{'_id': 'p1', 'n': 5}, {'_id': 'p2', 'n': 2}, {'_id': 'p3', 'n': 1}])
        self.assertEqual(self.db.raw.count_documents({}), 3, 'the sub-pipeline works on copies')

    def test_a_missing_collection_adds_nothing(self):
        self.assertEqual(len(self.aggregate([{'$unionWith': {'coll': 'nope', 'pipeline': []}}])), 2)

    def test_bad_arguments_are_refused_with_mongods_codes(self):
        self.assertCode(40373, [{'$unionWith': 3}])
        self.assertCode(40414, [{'$unionWith': {'pipeline': []}}])
        self.assertCode(40415, [{'$unionWith': {'coll': 'raw', 'frob': 1}}])
        self.assertCode(14, [{'$unionWith': {'coll': 'raw', 'pipeline': {}}}])
        self.assertCode(31441, [{'$unionWith': {'coll': 'raw', 'pipeline': [{'$merge': {'into': 'x'}}]}}])
        self.assertCode(40324, [{'$unionWith': {'coll': 'raw', 'pipeline': [{'frob': {}}]}}])
        self.assertCode(238, [{'$unionWith': {'coll': 'raw', 'pipeline': [{'$redact': '$$KEEP'}]}}])


if __name__ == '__main__':
    unittest.main()
