"""--data-file: data survives a clean stop and start; a crash keeps the last snapshot.

    .venv/bin/python -m unittest -v tests.test_persistence     (from tools/mongo-stand-in)
"""

import datetime
import os
import tempfile
import unittest
import uuid

from bson.binary import Binary
from bson.int64 import Int64
from pymongo.errors import DuplicateKeyError, WriteError

from .standin_fixture import StandInProcess


def uid():
    return Binary(uuid.uuid4().bytes, 4)


class PersistenceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()  # pylint: disable=consider-using-with
        self.path = os.path.join(self.dir.name, 'stand-in.bson')

    def tearDown(self):
        self.dir.cleanup()

    def start(self):
        return StandInProcess(extra_args=('--data-file', self.path))

    def test_data_and_indexes_survive_a_clean_stop_and_start(self):
        docs = [{'_id': uid(), 'n': Int64(i), 'at': datetime.datetime(2024, 3, 1, 10, i % 60),
                 'nested': {'tags': ['a', i]}} for i in range(2500)]
        server = self.start()
        with server.client() as client:
            coll = client.db1.events
            coll.create_index('n', unique=True, name='n_unique')
            coll.create_index('at', expireAfterSeconds=86400 * 36500, name='at_ttl')
            coll.insert_many(docs)
            client.db2.other.insert_one({'_id': 'x', 'v': 1.5})
        self.assertEqual(server.stop(), 0)
        self.assertTrue(os.path.exists(self.path))

        server = self.start()
        try:
            with server.client() as client:
                coll = client.db1.events
                stored = list(coll.find().sort('n', 1))
                self.assertEqual(stored, docs, 'documents come back field for field, types kept')
                self.assertIsInstance(stored[0]['n'], Int64)
                indexes = {i['name']: i for i in coll.list_indexes()}
                self.assertEqual(set(indexes), {'_id_', 'n_unique', 'at_ttl'})
                self.assertTrue(indexes['n_unique']['unique'])
                self.assertEqual(indexes['at_ttl']['expireAfterSeconds'], 86400 * 36500)
                with self.assertRaises(DuplicateKeyError):
                    coll.insert_one({'_id': uid(), 'n': Int64(7)})
                with self.assertRaises(DuplicateKeyError):
                    coll.insert_one({'_id': docs[0]['_id'], 'n': Int64(-1)})
                self.assertEqual(client.db2.other.find_one({'_id': 'x'}), {'_id': 'x', 'v': 1.5})
                coll.insert_one({'_id': uid(), 'n': Int64(-2)})
        finally:
            self.assertEqual(server.stop(), 0)
        server = self.start()
        try:
            with server.client() as client:
                self.assertEqual(client.db1.events.count_documents({}), 2501,
                                 'writes after a restart persist too')
        finally:
            server.stop()

    def test_validators_survive_and_stored_documents_are_not_revalidated(self):
        validator = {'$jsonSchema': {'required': ['name'], 'properties': {'name': {'bsonType': 'string'}}}}
        server = self.start()
        with server.client() as client:
            client.db.command('create', 'items', validator=validator, validationLevel='moderate')
            client.db.items.insert_one({'_id': 1, 'name': 'ok'})
            client.db.command('insert', 'items', documents=[{'_id': 2}], bypassDocumentValidation=True)
        self.assertEqual(server.stop(), 0)
        server = self.start()
        try:
            with server.client() as client:
                info = next(client.db.list_collections(filter={'name': 'items'}))
                self.assertEqual(info['options'], {'validator': validator, 'validationLevel': 'moderate'})
                self.assertEqual(sorted(d['_id'] for d in client.db.items.find()), [1, 2])
                with self.assertRaises(WriteError) as ctx:
                    client.db.items.insert_one({'_id': 3, 'name': 7})
                self.assertEqual(ctx.exception.code, 121)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_a_missing_file_is_an_empty_start_and_a_kill_keeps_the_last_snapshot(self):
        server = self.start()
        with server.client() as client:
            self.assertEqual(client.list_database_names(), [])
            client.db.c.insert_one({'_id': 1})
        self.assertEqual(server.stop(), 0)
        server = self.start()
        with server.client() as client:
            client.db.c.insert_one({'_id': 2})
        server.proc.kill()  # no clean stop: nothing written
        server.proc.wait()
        server.stop()
        self.assertEqual([n for n in os.listdir(self.dir.name) if n != 'stand-in.bson'], [])
        server = self.start()
        try:
            with server.client() as client:
                self.assertEqual([d['_id'] for d in client.db.c.find()], [1])
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == '__main__':
    unittest.main()
