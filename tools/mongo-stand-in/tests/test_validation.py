"""Collection validators end to end: create/collMod/listCollections, enforcement on every
write path, levels, actions, bypass, refusals."""

import unittest

from bson.int64 import Int64
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, OperationFailure, WriteError

from .standin_fixture import StandInProcess

SCHEMA = {'bsonType': 'object', 'required': ['name', 'qty'],
          'properties': {'name': {'bsonType': 'string', 'minLength': 1},
                         'qty': {'bsonType': ['int', 'long'], 'minimum': 0}}}
VALIDATOR = {'$jsonSchema': SCHEMA}


class ValidationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StandInProcess(log_level='info')
        cls.client = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        assert cls.server.stop() == 0, cls.server.log_tail()

    def setUp(self):
        self.db = self.client[f'v_{self._testMethodName}'[:60]]
        self.db.command('create', 'items', validator=VALIDATOR, validationLevel='strict',
                        validationAction='error')
        self.coll = self.db['items']

    def tearDown(self):
        self.client.drop_database(self.db.name)

    def options(self, name='items'):
        return next(self.db.list_collections(filter={'name': name}))['options']

    def assertCode(self, code, func, *args, **kwargs):
        with self.assertRaises(OperationFailure) as ctx:
            func(*args, **kwargs)
        self.assertEqual(ctx.exception.code, code, ctx.exception.details)
        return ctx.exception

    def assertInvalid(self, error, doc_id, rule):
        details = error.details
        self.assertEqual((details['code'], details['errmsg']), (121, 'Document failed validation'))
        info = details['errInfo']
        self.assertEqual(info['failingDocumentId'], doc_id)
        self.assertEqual(info['details']['operatorName'], '$jsonSchema')
        self.assertEqual(info['details']['schemaRulesNotSatisfied'][0]['operatorName'], rule)

    # ------------------------------------------------------------ options
    def test_create_lists_and_is_idempotent_like_mongod(self):
        self.assertEqual(self.options(), {'validator': VALIDATOR, 'validationLevel': 'strict',
                                          'validationAction': 'error'})
        again = self.db.command('create', 'items', validator=VALIDATOR, validationLevel='strict',
                                validationAction='error')
        self.assertEqual(again['ok'], 1.0)
        error = self.assertCode(48, self.db.command, 'create', 'items', validator=VALIDATOR)
        self.assertIn('already exists, but with different options', str(error))
        self.db.command('create', 'plain', validator=VALIDATOR)
        self.assertEqual(self.options('plain'), {'validator': VALIDATOR})
        self.assertCode(14, self.db.command, 'create', 'bad', validator='x')
        self.assertCode(2, self.db.command, 'create', 'bad', validationLevel='lenient')
        self.assertCode(9, self.db.command, 'create', 'bad', validator={'$jsonSchema': {'frob': 1}})
        self.assertNotIn('bad', self.db.list_collection_names())

    def test_coll_mod_replaces_the_validator_and_fills_level_and_action(self):
        self.db.command('create', 'bare')
        self.db.command('collMod', 'bare', validator={'$jsonSchema': {'required': ['x']}})
        self.assertEqual(self.options('bare'), {'validator': {'$jsonSchema': {'required': ['x']}},
                                                'validationLevel': 'strict', 'validationAction': 'error'})
        self.assertCode(121, self.db.bare.insert_one, {'y': 1})
        self.db.command('collMod', 'bare', validationAction='warn')
        self.assertEqual(self.options('bare')['validationAction'], 'warn')
        self.assertEqual(self.db.command('collMod', 'bare')['ok'], 1.0)
        self.assertCode(26, self.db.command, 'collMod', 'missing', validator=VALIDATOR)
        before = self.options()
        self.assertCode(238, self.db.command, 'collMod', 'items', validator={'qty': {'$gt': 0}})
        self.assertCode(238, self.db.command, 'collMod', 'items',
                        validator={'$jsonSchema': {'properties': {'qty': {'multipleOf': 2}}}})
        self.assertEqual(self.options(), before, 'a refused collMod changes nothing')

    def test_coll_mod_changes_a_ttl_index(self):
        self.coll.create_index('at', expireAfterSeconds=60, name='at_ttl')
        reply = self.db.command('collMod', 'items', index={'name': 'at_ttl', 'expireAfterSeconds': 120})
        self.assertEqual((reply['expireAfterSeconds_old'], reply['expireAfterSeconds_new']), (60, 120))
        self.assertIsInstance(reply['expireAfterSeconds_new'], Int64)
        indexes = {ix['name']: ix for ix in self.coll.list_indexes()}
        self.assertEqual(indexes['at_ttl']['expireAfterSeconds'], 120)
        reply = self.db.command('collMod', 'items', index={'keyPattern': {'at': 1}, 'expireAfterSeconds': 120})
        self.assertNotIn('expireAfterSeconds_old', reply)
        self.assertCode(27, self.db.command, 'collMod', 'items', index={'name': 'nope', 'expireAfterSeconds': 1})
        self.assertCode(72, self.db.command, 'collMod', 'items', index={'name': '_id_', 'expireAfterSeconds': 1})

    # ------------------------------------------------------------ enforcement
    def test_inserts(self):
        self.coll.insert_one({'_id': 1, 'name': 'bolt', 'qty': 3})
        with self.assertRaises(WriteError) as ctx:
            self.coll.insert_one({'_id': 2, 'name': 'nut'})
        self.assertInvalid(ctx.exception, 2, 'required')
        self.assertEqual(ctx.exception.details['errInfo']['details']['schemaRulesNotSatisfied'][0]
                         ['missingProperties'], ['qty'])
        with self.assertRaises(BulkWriteError) as ctx:
            self.coll.insert_many([{'_id': 3, 'name': 'a', 'qty': 1}, {'_id': 4, 'name': '', 'qty': 1},
                                   {'_id': 5, 'name': 'b', 'qty': Int64(2)}, {'_id': 6, 'name': 'c', 'qty': -1}],
                                  ordered=False)
        result = ctx.exception.details
        self.assertEqual(result['nInserted'], 2)
        self.assertEqual([(e['index'], e['code'], e['errInfo']['failingDocumentId'])
                          for e in result['writeErrors']], [(1, 121, 4), (3, 121, 6)])
        self.assertEqual(sorted(d['_id'] for d in self.coll.find()), [1, 3, 5])
        with self.assertRaises(WriteError) as ctx:
            self.coll.insert_one({'name': 'no id', 'qty': 1.5})
        self.assertIsNotNone(ctx.exception.details['errInfo']['failingDocumentId'])  # the assigned ObjectId

    def test_updates_replacements_and_upserts_check_the_whole_result(self):
        self.coll.insert_one({'_id': 1, 'name': 'bolt', 'qty': 3})
        self.coll.update_one({'_id': 1}, {'$inc': {'qty': 1}})
        with self.assertRaises(WriteError) as ctx:
            self.coll.update_one({'_id': 1}, {'$inc': {'qty': -10}})
        self.assertInvalid(ctx.exception, 1, 'properties')
        self.assertCode(121, self.coll.update_one, {'_id': 1}, {'$unset': {'name': ''}})
        self.assertCode(121, self.coll.replace_one, {'_id': 1}, {'name': 'bolt'})
        self.assertCode(121, self.coll.update_one, {'_id': 1}, [{'$set': {'qty': '$name'}}])
        self.assertEqual(self.coll.find_one({'_id': 1}), {'_id': 1, 'name': 'bolt', 'qty': 4}, 'rolled back')
        self.assertCode(121, self.coll.update_one, {'_id': 9}, {'$set': {'name': 'x'}}, upsert=True)
        self.assertIsNone(self.coll.find_one({'_id': 9}))
        self.coll.update_one({'_id': 9}, {'$set': {'name': 'x', 'qty': 0}}, upsert=True)
        self.assertEqual(self.coll.count_documents({}), 2)

    def test_find_and_modify(self):
        self.coll.insert_one({'_id': 1, 'name': 'bolt', 'qty': 3})
        error = self.assertCode(121, self.coll.find_one_and_update, {'_id': 1}, {'$set': {'qty': 'many'}})
        self.assertEqual(error.details['errInfo']['failingDocumentId'], 1)
        self.assertEqual(error.details['codeName'], 'DocumentValidationFailure')
        self.assertCode(121, self.coll.find_one_and_update, {'_id': 2}, {'$set': {'qty': 1}}, upsert=True)
        doc = self.coll.find_one_and_update({'_id': 1}, {'$set': {'qty': 5}}, return_document=ReturnDocument.AFTER)
        self.assertEqual(doc['qty'], 5)

    def test_levels_actions_and_bypass(self):
        self.db.command('insert', 'items', documents=[{'_id': 1, 'name': 'legacy'}], bypassDocumentValidation=True)
        self.coll.insert_one({'_id': 2, 'name': 'ok', 'qty': 1})
        self.db.command('collMod', 'items', validationLevel='moderate')
        self.coll.update_one({'_id': 1}, {'$set': {'name': 'still invalid'}})  # was invalid: not checked
        self.assertCode(121, self.coll.update_one, {'_id': 2}, {'$set': {'qty': -1}})  # was valid: checked
        self.assertCode(121, self.coll.insert_one, {'_id': 3})  # inserts always checked
        self.db.command('collMod', 'items', validationLevel='off')
        self.coll.insert_one({'_id': 3})
        self.db.command('collMod', 'items', validationLevel='strict', validationAction='warn')
        self.coll.insert_one({'_id': 4})
        self.assertEqual(self.coll.count_documents({}), 4)
        self.assertIn('Document would fail validation', self.server.log_tail(200))
        self.db.command('collMod', 'items', validationAction='error')
        self.assertCode(121, self.coll.update_one, {'_id': 1}, {'$set': {'name': 'x'}})
        self.db.command('update', 'items', updates=[{'q': {'_id': 1}, 'u': {'$set': {'name': 'y'}}}],
                        bypassDocumentValidation=True)
        self.assertEqual(self.coll.find_one({'_id': 1})['name'], 'y')
        self.coll.update_one({'_id': 1}, {'$set': {'name': 'y'}})  # a no-op writes nothing: not checked


if __name__ == '__main__':
    unittest.main()
