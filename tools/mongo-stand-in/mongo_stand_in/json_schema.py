"""MongoDB's ``$jsonSchema`` (the dialect of collection validators), as mongod 7.0 evaluates it.

    validator = compile_validator({'$jsonSchema': {...}})  # None for {}
    validator.failure(doc)   # None when doc passes, else errInfo.details as mongod builds it

Parsing raises mongod's errors (codes and messages) for schemas mongod refuses, and 238 for
what the stand-in does not evaluate: ``multipleOf``, ``dependencies``, ``encrypt``,
``encryptMetadata``, dotted property names, regexes Python's ``re`` would read differently,
validators that are not a single ``$jsonSchema``.

Semantics follow mongod's translation of a schema into match expressions
(json_schema_parser.cpp): a keyword constraining one kind of value (numbers, strings, arrays,
objects) ignores other kinds, unless the schema states a single type, in which case it is
either enforced as is or dropped; scalar and array keywords have no effect on the root
document; a root-level schema whose type excludes "object" matches nothing; a property that is
not required only has to match when present. Error details reproduce
doc_validation_error.cpp for the normal (non-negated) case, in mongod's keyword order.
"""

import re
from collections.abc import Mapping

from sentinels import NOTHING as MISSING

from . import schema_args as args
from . import schema_checks as checks
from .errors import CommandError, not_implemented
from .schema_types import NUMERIC, bson_type, compare, is_number, parse_type_set, unordered_key

KEYWORDS = frozenset({
    'bsonType', 'type', 'required', 'properties', 'additionalProperties', 'patternProperties',
    'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength',
    'maxLength', 'pattern', 'items', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems',
    'minProperties', 'maxProperties', 'allOf', 'anyOf', 'oneOf', 'not', 'title', 'description'})
NOT_EVALUATED = frozenset({'multipleOf', 'dependencies', 'encrypt', 'encryptMetadata'})
MONGOD_UNSUPPORTED = frozenset({'$ref', '$schema', 'default', 'definitions', 'format', 'id'})
_POSIX_CLASS = re.compile(r'\[:\^?[a-z]+:\]')
_KINDS = {'number': is_number, 'string': lambda v: isinstance(v, str),
          'array': lambda v: isinstance(v, (list, tuple)), 'object': lambda v: isinstance(v, Mapping)}


def compile_validator(validator):
    """The Validator of a collection's ``validator`` option (None when empty)."""
    if not validator:
        return None
    if list(validator) != ['$jsonSchema']:
        raise not_implemented('a collection validator other than a single $jsonSchema '
                              '(query operators)')
    schema = validator['$jsonSchema']
    if not isinstance(schema, dict):
        raise CommandError(14, 'Parsing of collection validator failed :: caused by :: '
                               '$jsonSchema must be an object')
    unevaluated = []
    try:
        root = _Node(schema, True, unevaluated)
    except CommandError as exc:
        if exc.code == 238:
            raise
        raise CommandError(exc.code, 'Parsing of collection validator failed :: caused by :: '
                           + exc.errmsg) from exc
    if unevaluated:
        raise not_implemented('$jsonSchema ' + ', '.join(unevaluated))
    return Validator(validator, root)


class Validator:
    def __init__(self, document, root):
        self.document = document
        self.root = root

    def failure(self, doc):
        """None if doc satisfies the schema, else the ``details`` of mongod's errInfo."""
        result = self.root.check(doc)
        if result is None or isinstance(result, dict):
            return result
        return {'operatorName': '$jsonSchema', **self.root.annotations,
                'schemaRulesNotSatisfied': result}


class _Node:
    """One (sub)schema. ``check(value)`` -> None when value matches; else the list of error
    details mongod's subschema reports (possibly empty), or, for a root-level schema that
    can never match, that one detail document."""

    def __init__(self, schema, root, unevaluated):
        self.schema = schema
        self.root = root
        self._unevaluated = unevaluated
        self.annotations = {k: v for k, v in schema.items() if k in ('title', 'description')}
        self.rules = []
        for keyword in schema:
            if keyword in MONGOD_UNSUPPORTED:
                raise CommandError(9, f"$jsonSchema keyword '{keyword}' is not currently supported")
            if keyword in ('encrypt', 'encryptMetadata'):
                raise not_implemented(f"the $jsonSchema keyword '{keyword}'")
            if keyword not in KEYWORDS and keyword not in NOT_EVALUATED:
                raise CommandError(9, f'Unknown $jsonSchema keyword: {keyword}')
        for keyword in ('description', 'title'):
            if keyword in schema and not isinstance(schema[keyword], str):
                raise CommandError(14, f"$jsonSchema keyword '{keyword}' must be of type string")
        if 'type' in schema and 'bsonType' in schema:
            raise CommandError(9, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'")
        self.type_keyword = 'type' if 'type' in schema else 'bsonType' if 'bsonType' in schema else None
        self.types = parse_type_set(self.type_keyword, schema[self.type_keyword]) \
            if self.type_keyword else None
        self._scalar_keywords()
        self._array_keywords()
        self._object_keywords()
        self._logical_keywords()
        if not root and self.types is not None:
            self.rules.append(self._type_check)
        self.never = root and self.types is not None and not self.types.has_object()

    def check(self, value):
        if self.never:
            return {'operatorName': '$jsonSchema', 'specifiedAs': {'$jsonSchema': self.schema},
                    'reason': 'expression always evaluates to false'}
        details = None
        for rule in self.rules:
            result = rule(value)
            if result is not None:
                details = (details or []) + result
        return details

    def _sub(self, schema, root=False):
        return _Node(schema, root, self._unevaluated)

    def _not_evaluated(self, what):
        self._unevaluated.append(what)

    # ------------------------------------------------------------ restrictions
    def _restricted(self, kind, check):
        """``check`` (value of ``kind`` -> None | details) applied as mongod applies a
        keyword restricted to one kind of value."""
        mode = 'guarded'
        if self.types is not None and self.types.single:
            stated = self.types.representative()
            mode = 'plain' if (stated in NUMERIC if kind == 'number' else stated == kind) else 'off'
        is_kind = _KINDS[kind]

        def restricted(value):
            if mode == 'off':
                return None
            if value is not MISSING and is_kind(value):
                return check(value)
            return [] if mode == 'plain' else None  # plain: the type check reports it
        self.rules.append(restricted)

    def _leaf_keyword(self, kind, test, detail):
        if not self.root:
            self._restricted(kind, lambda v: None if test(v) else [detail(v)])

    def _regex(self, pattern):
        if _POSIX_CLASS.search(pattern) or '\\Z' in pattern:
            self._not_evaluated(f'pattern {pattern!r} (POSIX classes and \\Z differ in Python)')
            return None
        try:
            return re.compile(pattern, re.ASCII)  # PCRE without UCP: \d \w \s \b are ASCII
        except re.error as exc:
            self._not_evaluated(f'pattern {pattern!r} (Python re: {exc})')
            return None

    # ------------------------------------------------------------ keywords
    def _scalar_keywords(self):
        s = self.schema
        if 'pattern' in s:
            pattern = s['pattern']
            if not isinstance(pattern, str):
                raise CommandError(14, "$jsonSchema keyword 'pattern' must be a string")
            regex = None if self.root else self._regex(pattern)  # mongod never compiles it
            if regex is not None:
                self._leaf_keyword('string', lambda v: regex.search(v) is not None,
                                   lambda v: checks.leaf('pattern', {'pattern': pattern},
                                                         'regular expression did not match', v))
        for keyword in ('maxLength', 'minLength'):
            self._limit('string', keyword, lambda v, spec, k=keyword: checks.leaf(
                k, spec, 'specified string length was not satisfied', v))
        if 'multipleOf' in s:
            if not is_number(s['multipleOf']):
                raise CommandError(14, "$jsonSchema keyword 'multipleOf' must be a number")
            if compare(s['multipleOf'], 0, '<='):
                raise CommandError(9, "$jsonSchema keyword 'multipleOf' must have a positive value")
            self._not_evaluated('multipleOf')
        for keyword, exclusive_keyword, ops in (('maximum', 'exclusiveMaximum', ('<=', '<')),
                                                ('minimum', 'exclusiveMinimum', ('>=', '>'))):
            self._bound(keyword, exclusive_keyword, ops)

    def _bound(self, keyword, exclusive_keyword, ops):
        s = self.schema
        if keyword not in s:
            if exclusive_keyword in s:
                raise CommandError(9, f"$jsonSchema keyword '{keyword}' must be a present if "
                                      f'{exclusive_keyword} is present')
            return
        exclusive = s.get(exclusive_keyword, False)
        if not isinstance(exclusive, bool):
            raise CommandError(14, f"$jsonSchema keyword '{exclusive_keyword}' must be a boolean")
        bound = s[keyword]
        if not is_number(bound):
            raise CommandError(14, f"$jsonSchema keyword '{keyword}' must be a number")
        specified = {keyword: bound, exclusive_keyword: True} if exclusive else {keyword: bound}
        operator = ops[1] if exclusive else ops[0]
        self._leaf_keyword('number', lambda v: compare(v, bound, operator),
                           lambda v: checks.leaf(keyword, specified, 'comparison failed', v))

    def _limit(self, kind, keyword, detail):
        """min/max Length, Items or Properties: a bound on len(value)."""
        if keyword not in self.schema:
            return
        limit = args.non_negative(keyword, self.schema[keyword])
        at_least = keyword.startswith('min')
        specified = {keyword: self.schema[keyword]}

        def rule(value):
            if (len(value) >= limit) if at_least else (len(value) <= limit):
                return None
            return [detail(value, specified)]
        if kind == 'object':
            self._object_keyword(rule)
        elif not self.root:
            self._restricted(kind, rule)

    def _array_keywords(self):
        s = self.schema
        for keyword in ('minItems', 'maxItems'):
            self._limit('array', keyword, lambda v, spec, k=keyword: checks.leaf(
                k, spec, 'array did not match specified length', v, numberOfItems=len(v)))
        if 'uniqueItems' in s:
            if not isinstance(s['uniqueItems'], bool):
                raise CommandError(14, "$jsonSchema keyword 'uniqueItems' must be a boolean")
            if s['uniqueItems']:
                self._leaf_keyword('array', lambda v: checks.first_duplicate(v) is MISSING,
                                   lambda v: checks.leaf('uniqueItems', {'uniqueItems': True},
                                                         'found a duplicate item', v,
                                                         duplicatedValue=checks.first_duplicate(v)))
        items_count = self._items()
        if 'additionalItems' in s:
            extra = s['additionalItems']
            if not isinstance(extra, (bool, dict)):
                raise CommandError(14, "$jsonSchema keyword 'additionalItems' must be either an object "
                                       f'or a boolean, but got a {bson_type(extra)}')
            sub = self._sub(extra) if isinstance(extra, dict) else None
            if items_count is not None and not self.root and extra is not True:
                self._restricted('array', lambda v: checks.additional_items(v, items_count, extra, sub))

    def _items(self):
        """Adds the ``items`` check; returns the count of positional schemas, if any."""
        if 'items' not in self.schema:
            return None
        items = self.schema['items']
        if isinstance(items, list):
            for sub in items:
                if not isinstance(sub, dict):
                    raise CommandError(14, "$jsonSchema keyword 'items' requires that each element of "
                                           f'the array is an object, but found a {bson_type(sub)}')
            subs = [self._sub(sub) for sub in items]
            if not self.root and subs:
                self._restricted('array', lambda v: checks.positional_items(v, subs))
            return len(subs)
        if not isinstance(items, dict):
            raise CommandError(14, "$jsonSchema keyword 'items' must be an array or an object, "
                                   f'not {bson_type(items)}')
        sub = self._sub(items)
        if not self.root:
            self._restricted('array', lambda v: checks.all_items(v, sub))
        return None

    def _object_keyword(self, check):
        if self.root:
            self.rules.append(check)
        else:
            self._restricted('object', check)

    def _object_keywords(self):
        s = self.schema
        required = args.required_names(s['required']) if 'required' in s else []
        for name in required:
            if '.' in name:
                self._not_evaluated(f'required {name!r} (a dotted path)')
        properties = {}
        if 'properties' in s:
            if not isinstance(s['properties'], dict):
                raise CommandError(14, "$jsonSchema keyword 'properties' must be an object")
            for name, sub in s['properties'].items():
                if not isinstance(sub, dict):
                    raise CommandError(14, f"Nested schema for $jsonSchema property '{name}' must be "
                                           'an object')
                if '.' in name:
                    self._not_evaluated(f'property {name!r} (a dotted path)')
                properties[name] = self._sub(sub)
            self._object_keyword(lambda obj: checks.properties(obj, properties, required))
        if 'patternProperties' in s or 'additionalProperties' in s:
            patterns = self._pattern_properties()
            extra = s.get('additionalProperties', True)
            if not isinstance(extra, (bool, dict)):
                raise CommandError(14, "$jsonSchema keyword 'additionalProperties' must be an object "
                                       'or a boolean')
            extra_sub = self._sub(extra) if isinstance(extra, dict) else None
            self._object_keyword(lambda obj: checks.allowed_properties(
                obj, properties, patterns, extra, extra_sub))
        if required:
            self._object_keyword(lambda obj: checks.missing(obj, required, s['required']))
        for keyword in ('minProperties', 'maxProperties'):
            self._limit('object', keyword, lambda o, spec, k=keyword: {
                'operatorName': k, 'specifiedAs': spec,
                'reason': 'specified number of properties was not satisfied',
                'numberOfProperties': len(o)})
        if 'dependencies' in s:
            if not isinstance(s['dependencies'], dict):
                raise CommandError(14, "$jsonSchema keyword 'dependencies' must be an object")
            self._not_evaluated('dependencies')

    def _pattern_properties(self):
        patterns = []
        spec = self.schema.get('patternProperties', {})
        if not isinstance(spec, dict):
            raise CommandError(14, "$jsonSchema keyword 'patternProperties' must be an object")
        for pattern, sub in spec.items():
            if not isinstance(sub, dict):
                raise CommandError(14, f"$jsonSchema keyword 'patternProperties' has property '{pattern}' "
                                       'which is not an object')
            patterns.append((pattern, self._regex(pattern), self._sub(sub)))
        return patterns

    def _logical_keywords(self):
        s = self.schema
        for keyword, combine in (('allOf', checks.all_of), ('anyOf', checks.any_of),
                                 ('oneOf', checks.one_of)):
            if keyword in s:
                subs = [self._sub(sub, self.root) for sub in args.array_of_objects(keyword, s[keyword])]
                self.rules.append(lambda v, c=combine, subs=subs: c(v, subs))
        if 'not' in s:
            if not isinstance(s['not'], dict):
                raise CommandError(14, "$jsonSchema keyword 'not' must be an object, but found an "
                                       f"element of type {bson_type(s['not'])}")
            sub = self._sub(s['not'], self.root)
            self.rules.append(lambda v: [{'operatorName': 'not', 'reason': 'child expression matched'}]
                               if sub.check(v) is None else None)
        if 'enum' in s:
            self._enum(s['enum'])

    def _enum(self, values):
        if not isinstance(values, list):
            raise CommandError(14, "$jsonSchema keyword 'enum' must be an array, but found an element "
                                   f'of type {bson_type(values)}')
        if not values:
            raise CommandError(9, "$jsonSchema keyword 'enum' cannot be an empty array")
        keys = [unordered_key(v) for v in values]
        if len(set(keys)) != len(keys):
            raise CommandError(9, "$jsonSchema keyword 'enum' array cannot contain duplicate values.")
        specified = {'enum': values}
        if self.root:  # only objects can equal a whole document
            keys = {unordered_key(v) for v in values if isinstance(v, dict)}
            if not keys:
                self.rules.append(lambda doc: [{'operatorName': 'enum', 'specifiedAs': specified,
                                                 'reason': 'expression always evaluates to false'}])
                return
        else:
            keys = set(keys)

        def check(value):
            if value is MISSING:
                return []
            if unordered_key(value) in keys:
                return None
            return [checks.leaf('enum', specified, 'value was not found in enum', value)]
        self.rules.append(check)

    def _type_check(self, value):
        if value is MISSING:
            return []
        if self.types.matches(value):
            return None
        keyword = self.type_keyword
        return [{'operatorName': keyword, 'specifiedAs': {keyword: self.schema[keyword]},
                 'reason': 'type did not match', 'consideredValue': value,
                 'consideredType': bson_type(value)}]
