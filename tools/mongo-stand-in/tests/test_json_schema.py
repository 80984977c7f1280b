"""The $jsonSchema evaluator (json_schema.py) in-process: BSON types, keyword semantics,
mongod's error details and parse errors."""

import datetime
import math
import re
import unittest
import uuid

from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from mongo_stand_in import json_schema
from mongo_stand_in.errors import CommandError
from mongo_stand_in.schema_types import bson_type


def validator(schema):
    return json_schema.compile_validator({'$jsonSchema': schema})


def prop(schema, value):
    """Whether {_id: 1, a: value} passes {properties: {a: schema}}."""
    return validator({'properties': {'a': schema}}).failure({'_id': 1, 'a': value}) is None


def rules(schema, doc):
    """The schemaRulesNotSatisfied mongod would report for doc."""
    return validator(schema).failure(doc)['schemaRulesNotSatisfied']


class BsonTypesTest(unittest.TestCase):
    def test_python_values_map_to_mongod_type_names(self):
        cases = [(5, 'int'), (2 ** 31, 'long'), (Int64(5), 'long'), (5.0, 'double'),
                 (Decimal128('1.5'), 'decimal'), (True, 'bool'), (None, 'null'), ('s', 'string'),
                 ({}, 'object'), ([], 'array'), (Binary(uuid.uuid4().bytes, 4), 'binData'),
                 (b'raw', 'binData'), (uuid.uuid4(), 'binData'), (ObjectId(), 'objectId'),
                 (datetime.datetime(2024, 1, 1), 'date'), (Timestamp(1, 1), 'timestamp'),
                 (re.compile('a'), 'regex')]
        for value, name in cases:
            self.assertEqual(bson_type(value), name, value)

    def test_int_long_double_decimal_are_distinct_and_number_takes_them_all(self):
        self.assertTrue(prop({'bsonType': 'int'}, 5))
        for value in (Int64(5), 5.0, Decimal128('5'), True):
            self.assertFalse(prop({'bsonType': 'int'}, value), value)
        self.assertTrue(prop({'bsonType': 'long'}, Int64(5)))
        self.assertTrue(prop({'bsonType': 'long'}, 2 ** 40))  # pymongo stores it as a long
        self.assertFalse(prop({'bsonType': 'long'}, 5))
        self.assertTrue(prop({'bsonType': 'double'}, 5.0))
        self.assertTrue(prop({'bsonType': 'decimal'}, Decimal128('5')))
        for value in (5, Int64(5), 5.0, Decimal128('5')):
            self.assertTrue(prop({'bsonType': 'number'}, value))
            self.assertTrue(prop({'type': 'number'}, value))
        self.assertFalse(prop({'bsonType': 'number'}, True))
        self.assertTrue(prop({'bsonType': ['int', 'long']}, Int64(1)))

    def test_other_bson_types(self):
        self.assertTrue(prop({'bsonType': 'binData'}, Binary(uuid.uuid4().bytes, 4)))
        self.assertTrue(prop({'bsonType': 'binData'}, b'\x00'))
        self.assertFalse(prop({'bsonType': 'binData'}, str(uuid.uuid4())))
        self.assertTrue(prop({'bsonType': 'date'}, datetime.datetime(2024, 1, 1)))
        self.assertFalse(prop({'bsonType': 'date'}, '2024-01-01'))
        self.assertTrue(prop({'bsonType': 'objectId'}, ObjectId()))
        self.assertTrue(prop({'bsonType': 'bool'}, False))
        self.assertFalse(prop({'bsonType': 'bool'}, 0))
        self.assertTrue(prop({'bsonType': 'null'}, None))
        self.assertTrue(prop({'bsonType': 'timestamp'}, Timestamp(0, 1)))
        self.assertTrue(prop({'type': 'boolean'}, True))
        self.assertTrue(prop({'type': ['string', 'null']}, None))
        self.assertFalse(prop({'type': 'object'}, []))
        self.assertTrue(prop({'type': 'array'}, []))


class KeywordsTest(unittest.TestCase):
    def test_restrictions_ignore_other_kinds_unless_one_type_is_stated(self):
        self.assertTrue(prop({'minimum': 5}, 'a string'))
        self.assertTrue(prop({'minLength': 5}, 3))
        self.assertTrue(prop({'minItems': 1}, {}))
        self.assertTrue(prop({'required': ['x']}, 'not an object'))
        self.assertFalse(prop({'minimum': 5}, 4))
        # a single stated type of another kind drops the restriction; its own type enforces it
        self.assertTrue(prop({'bsonType': 'string', 'minimum': 5}, 'a'))
        self.assertFalse(prop({'bsonType': 'int', 'maximum': 5}, 6))
        self.assertEqual(rules({'properties': {'a': {'bsonType': 'int', 'maximum': 5}}}, {'a': 'x'}),
                         [{'operatorName': 'properties', 'propertiesNotSatisfied': [{
                             'propertyName': 'a', 'details': [{
                                 'operatorName': 'bsonType', 'specifiedAs': {'bsonType': 'int'},
                                 'reason': 'type did not match', 'consideredValue': 'x',
                                 'consideredType': 'string'}]}]}])

    def test_numbers_compare_across_types_and_nan_fails(self):
        self.assertTrue(prop({'minimum': 5}, Decimal128('5.0')))
        self.assertTrue(prop({'maximum': Int64(5)}, 4.999))
        self.assertFalse(prop({'maximum': 5, 'exclusiveMaximum': True}, 5))
        self.assertTrue(prop({'maximum': 5, 'exclusiveMaximum': False}, 5))
        self.assertFalse(prop({'minimum': 0, 'exclusiveMinimum': True}, 0.0))
        self.assertFalse(prop({'minimum': 0}, math.nan))
        self.assertFalse(prop({'maximum': 0}, Decimal128('NaN')))
        self.assertEqual(rules({'properties': {'a': {'minimum': 1, 'exclusiveMinimum': True}}}, {'a': 1})[0]
                         ['propertiesNotSatisfied'][0]['details'],
                         [{'operatorName': 'minimum', 'specifiedAs': {'minimum': 1, 'exclusiveMinimum': True},
                           'reason': 'comparison failed', 'consideredValue': 1}])

    def test_strings(self):
        self.assertTrue(prop({'minLength': 2, 'maxLength': 2}, 'é€'))  # code points, not bytes
        self.assertFalse(prop({'maxLength': 1}, 'ab'))
        self.assertTrue(prop({'pattern': '^[a-z]+-\\d$'}, 'abc-7'))
        self.assertTrue(prop({'pattern': 'b'}, 'abc'))  # unanchored, as PCRE
        self.assertFalse(prop({'pattern': '^\\d$'}, '\u0663'))  # \d is ASCII, as in PCRE
        self.assertEqual(rules({'properties': {'a': {'pattern': '^x'}}}, {'a': 'y'})[0]
                         ['propertiesNotSatisfied'][0]['details'],
                         [{'operatorName': 'pattern', 'specifiedAs': {'pattern': '^x'},
                           'reason': 'regular expression did not match', 'consideredValue': 'y'}])

    def test_required_and_properties(self):
        schema = {'required': ['b', 'a'], 'properties': {'a': {'bsonType': 'string'}, 'c': {'bsonType': 'int'}}}
        self.assertIsNone(validator(schema).failure({'_id': 1, 'a': 'x', 'b': None}))  # null exists
        self.assertEqual(rules(schema, {'_id': 1, 'c': 1}),
                         [{'operatorName': 'required', 'specifiedAs': {'required': ['b', 'a']},
                           'missingProperties': ['a', 'b']}])
        nested = {'properties': {'o': {'bsonType': 'object', 'required': ['x'],
                                       'properties': {'x': {'enum': [1, 'one']}}}}}
        self.assertIsNone(validator(nested).failure({'o': {'x': 1.0}}))
        self.assertEqual(rules(nested, {'o': {'x': 2}})[0]['propertiesNotSatisfied'][0]['details'][0]
                         ['propertiesNotSatisfied'][0]['details'],
                         [{'operatorName': 'enum', 'specifiedAs': {'enum': [1, 'one']},
                           'reason': 'value was not found in enum', 'consideredValue': 2}])

    def test_additional_and_pattern_properties(self):
        schema = {'properties': {'_id': {}, 'a': {}}, 'patternProperties': {'^x_': {'bsonType': 'int'}},
                  'additionalProperties': False}
        self.assertIsNone(validator(schema).failure({'_id': 1, 'a': 1, 'x_1': 2}))
        self.assertEqual(rules(schema, {'_id': 1, 'b': 1, 'x_1': 'no', 'c': 2}), [
            {'operatorName': 'additionalProperties', 'specifiedAs': {'additionalProperties': False},
             'additionalProperties': ['b', 'c']},
            {'operatorName': 'patternProperties', 'details': [{
                'propertyName': 'x_1', 'regexMatched': '^x_', 'details': [{
                    'operatorName': 'bsonType', 'specifiedAs': {'bsonType': 'int'},
                    'reason': 'type did not match', 'consideredValue': 'no', 'consideredType': 'string'}]}]}])
        self.assertIsNotNone(validator({'additionalProperties': False}).failure({'_id': 1}))  # _id too
        typed = {'properties': {'_id': {}}, 'additionalProperties': {'bsonType': 'string', 'title': 'strings'}}
        self.assertEqual(rules(typed, {'_id': 1, 'k': 'v', 'n': 3}), [{
            'operatorName': 'additionalProperties', 'title': 'strings',
            'reason': 'at least one additional property did not match the subschema',
            'failingProperty': 'n', 'details': [{
                'operatorName': 'bsonType', 'specifiedAs': {'bsonType': 'string'},
                'reason': 'type did not match', 'consideredValue': 3, 'consideredType': 'int'}]}])

    def test_enum_ignores_field_order_and_numeric_type(self):
        self.assertTrue(prop({'enum': [{'x': 1, 'y': 2}]}, {'y': 2, 'x': Int64(1)}))
        self.assertFalse(prop({'enum': [[1, 2]]}, [2, 1]))
        self.assertFalse(prop({'enum': [None]}, False))
        root = {'enum': [{'_id': 1, 'k': 'v'}, 'ignored']}
        self.assertIsNone(validator(root).failure({'k': 'v', '_id': 1}))
        self.assertEqual(rules(root, {'_id': 2}), [{
            'operatorName': 'enum', 'specifiedAs': root, 'reason': 'value was not found in enum',
            'consideredValue': {'_id': 2}}])
        self.assertEqual(rules({'enum': [1]}, {'_id': 2})[0]['reason'], 'expression always evaluates to false')

    def test_arrays(self):
        self.assertTrue(prop({'items': {'bsonType': 'int'}, 'minItems': 1, 'maxItems': 2}, [1, 2]))
        self.assertFalse(prop({'maxItems': 2}, [1, 2, 3]))
        self.assertFalse(prop({'uniqueItems': True}, [{'a': 1, 'b': 2}, {'b': 2, 'a': 1.0}]))
        self.assertTrue(prop({'uniqueItems': True}, [1, '1', True]))
        self.assertEqual(rules({'properties': {'a': {'items': {'bsonType': 'int'}}}}, {'a': [1, 'x', 'y']})[0]
                         ['propertiesNotSatisfied'][0]['details'],
                         [{'operatorName': 'items', 'reason': 'At least one item did not match the sub-schema',
                           'itemIndex': 1, 'details': [{
                               'operatorName': 'bsonType', 'specifiedAs': {'bsonType': 'int'},
                               'reason': 'type did not match', 'consideredValue': 'x',
                               'consideredType': 'string'}]}])
        positional = {'items': [{'bsonType': 'string'}, {'bsonType': 'int'}], 'additionalItems': False}
        self.assertTrue(prop(positional, ['a']))
        self.assertTrue(prop(positional, ['a', 1]))
        self.assertFalse(prop(positional, ['a', 1, 2]))
        self.assertFalse(prop(positional, [1]))
        details = rules({'properties': {'a': positional}}, {'a': [1, 2, 3]})[0]['propertiesNotSatisfied'][0]['details']
        self.assertEqual([d['operatorName'] for d in details], ['items', 'additionalItems'])
        self.assertEqual(details[0]['details'][0]['itemIndex'], 0)
        self.assertEqual(details[1]['additionalItems'], [3])
        self.assertTrue(prop({'additionalItems': False}, [1, 2]))  # only after a positional items
        stated = rules({'properties': {'a': {'minItems': 2}}}, {'a': [1]})[0]['propertiesNotSatisfied'][0]
        self.assertEqual(stated['details'], [{'operatorName': 'minItems', 'specifiedAs': {'minItems': 2},
                                              'reason': 'array did not match specified length',
                                              'consideredValue': [1], 'numberOfItems': 1}])

    def test_root_document(self):
        self.assertIsNone(validator({'minimum': 5, 'maxItems': 0, 'bsonType': 'object'}).failure({'_id': 1}))
        self.assertEqual(rules({'minProperties': 3}, {'_id': 1, 'a': 1}),
                         [{'operatorName': 'minProperties', 'specifiedAs': {'minProperties': 3},
                           'reason': 'specified number of properties was not satisfied', 'numberOfProperties': 2}])
        never = validator({'bsonType': 'array'}).failure({'_id': 1})
        self.assertEqual(never, {'operatorName': '$jsonSchema', 'specifiedAs': {'$jsonSchema': {'bsonType': 'array'}},
                                 'reason': 'expression always evaluates to false'})

    def test_logical_keywords(self):
        schema = {'anyOf': [{'required': ['x'], 'description': 'has x'}, {'required': ['y']}],
                  'oneOf': [{'required': ['_id']}, {'minProperties': 1}],
                  'allOf': [{'properties': {'_id': {'bsonType': 'int'}}}],
                  'not': {'required': ['secret']}}
        self.assertEqual(rules(schema, {'_id': 'k', 'secret': 1}), [
            {'operatorName': 'allOf', 'schemasNotSatisfied': [{'index': 0, 'details': [{
                'operatorName': 'properties', 'propertiesNotSatisfied': [{'propertyName': '_id', 'details': [{
                    'operatorName': 'bsonType', 'specifiedAs': {'bsonType': 'int'}, 'reason': 'type did not match',
                    'consideredValue': 'k', 'consideredType': 'string'}]}]}]}]},
            {'operatorName': 'anyOf', 'schemasNotSatisfied': [
                {'index': 0, 'description': 'has x', 'details': [
                    {'operatorName': 'required', 'specifiedAs': {'required': ['x']}, 'missingProperties': ['x']}]},
                {'index': 1, 'details': [
                    {'operatorName': 'required', 'specifiedAs': {'required': ['y']}, 'missingProperties': ['y']}]}]},
            {'operatorName': 'oneOf', 'reason': 'more than one subschema matched', 'matchingSchemaIndexes': [0, 1]},
            {'operatorName': 'not', 'reason': 'child expression matched'}])
        self.assertIsNone(validator({'oneOf': [{'required': ['x']}, {'required': ['y']}]}).failure({'x': 1}))

    def test_the_manual_example(self):
        """The errInfo the MongoDB manual shows for its students collection."""
        schema = {'bsonType': 'object', 'title': 'Student Object Validation',
                  'required': ['address', 'major', 'name', 'year'],
                  'properties': {'name': {'bsonType': 'string', 'description': "'name' must be a string"},
                                 'year': {'bsonType': 'int', 'minimum': 2017, 'maximum': 3017},
                                 'gpa': {'bsonType': ['double'],
                                         'description': "'gpa' must be a double if the field exists"}}}
        doc = {'_id': ObjectId(), 'name': 'Alice', 'year': 2019, 'major': 'History', 'gpa': 3, 'address': {}}
        self.assertEqual(validator(schema).failure(doc), {
            'operatorName': '$jsonSchema', 'title': 'Student Object Validation',
            'schemaRulesNotSatisfied': [{'operatorName': 'properties', 'propertiesNotSatisfied': [{
                'propertyName': 'gpa', 'description': "'gpa' must be a double if the field exists",
                'details': [{'operatorName': 'bsonType', 'specifiedAs': {'bsonType': ['double']},
                             'reason': 'type did not match', 'consideredValue': 3, 'consideredType': 'int'}]}]}]})


class ParseTest(unittest.TestCase):
    def refused(self, validator_doc):
        with self.assertRaises(CommandError) as ctx:
            json_schema.compile_validator(validator_doc)
        return ctx.exception.code, ctx.exception.errmsg

    def test_mongod_parse_errors(self):
        cases = [({'frob': 1}, 9, 'Unknown $jsonSchema keyword: frob'),
                 ({'format': 'email'}, 9, "$jsonSchema keyword 'format' is not currently supported"),
                 ({'type': 'integer'}, 9, "$jsonSchema type 'integer' is not currently supported."),
                 ({'type': 'int'}, 2, 'Unknown type name alias: int'),
                 ({'type': 'object', 'bsonType': 'object'}, 9, 'Cannot specify both'),
                 ({'required': []}, 9, "'required' cannot be an empty array"),
                 ({'enum': [1, 1.0]}, 9, 'cannot contain duplicate values'),
                 ({'exclusiveMaximum': True}, 9, "'maximum' must be a present if exclusiveMaximum is present"),
                 ({'minLength': -1}, 9, 'Expected a positive number in: minLength: -1'),
                 ({'maxItems': 1.5}, 9, 'Expected an integer'),
                 ({'anyOf': []}, 2, "'anyOf' must be a non-empty array"),
                 ({'properties': {'a': 1}}, 14, "Nested schema for $jsonSchema property 'a' must be an object"),
                 ({'title': 5}, 14, "'title' must be of type string")]
        for schema, code, text in cases:
            got_code, message = self.refused({'$jsonSchema': schema})
            self.assertEqual(got_code, code, schema)
            self.assertIn(text, message)
            self.assertTrue(message.startswith('Parsing of collection validator failed :: caused by :: '))
        self.assertEqual(self.refused({'$jsonSchema': 'x'})[0], 14)

    def test_what_the_stand_in_does_not_evaluate_is_238(self):
        for validator_doc in ({'a': {'$gt': 1}}, {'$jsonSchema': {}, 'a': 1}, {'$expr': {'$eq': [1, 1]}},
                              {'$jsonSchema': {'multipleOf': 2}}, {'$jsonSchema': {'dependencies': {'a': ['b']}}},
                              {'$jsonSchema': {'properties': {'a': {'encrypt': {}}}}},
                              {'$jsonSchema': {'properties': {'a.b': {}}}},
                              {'$jsonSchema': {'properties': {'a': {'pattern': '[[:alpha:]]'}}}},
                              {'$jsonSchema': {'properties': {'a': {'pattern': '\\p{L}'}}}},
                              {'$jsonSchema': {'bsonType': 'symbol'}}):
            self.assertEqual(self.refused(validator_doc)[0], 238, validator_doc)
        self.assertIsNone(json_schema.compile_validator({}))
        # mongod never compiles a root-level pattern, nor refuses one
        self.assertIsNotNone(json_schema.compile_validator({'$jsonSchema': {'pattern': '\\p{L}'}}))


if __name__ == '__main__':
    unittest.main()
