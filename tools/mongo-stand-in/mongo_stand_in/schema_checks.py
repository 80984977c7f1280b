"""The keyword checks of json_schema.py: each takes the value (or MISSING) and returns None
when it is satisfied, else the error details mongod's doc_validation_error.cpp reports for
that keyword in the normal (non-negated) case."""

from sentinels import NOTHING as MISSING

from .schema_types import unordered_key


def leaf(operator, specified, reason, value, **extra):
    return dict({'operatorName': operator, 'specifiedAs': specified, 'reason': reason,
                 'consideredValue': value}, **extra)


def missing(obj, required, specified):
    missing = sorted(name for name in required if name not in obj)
    if not missing:
        return None
    return [{'operatorName': 'required', 'specifiedAs': {'required': specified},
             'missingProperties': missing}]


def properties(obj, properties, required):
    failed, entries = False, []
    for name, sub in properties.items():
        if name in obj:
            result = sub.check(obj[name])
        elif name in required:
            result = sub.check(MISSING)
        else:
            continue
        if result is not None:
            failed = True
            if result:
                entries.append({'propertyName': name, **sub.annotations, 'details': result})
    if not failed:
        return None
    return [{'operatorName': 'properties', 'propertiesNotSatisfied': entries}] if entries else []


def allowed_properties(obj, properties, patterns, extra, extra_sub):
    failed, additional, first_failing_extra, pattern_failures = False, [], None, {}
    for name, value in obj.items():
        matched = False
        for index, (_raw, regex, sub) in enumerate(patterns):
            if regex is not None and regex.search(name):
                matched = True
                if sub.check(value) is not None:
                    failed = True
                    pattern_failures.setdefault(index, name)
        if matched or name in properties:
            continue
        additional.append(name)
        if extra is False:
            failed = True
        elif extra_sub is not None and first_failing_extra is None and extra_sub.check(value) is not None:
            failed, first_failing_extra = True, name
    if not failed:
        return None
    details = []
    if extra is False and additional:
        details.append({'operatorName': 'additionalProperties',
                        'specifiedAs': {'additionalProperties': False},
                        'additionalProperties': additional})
    elif first_failing_extra is not None:
        details.append({'operatorName': 'additionalProperties', **extra_sub.annotations,
                        'reason': 'at least one additional property did not match the subschema',
                        'failingProperty': first_failing_extra,
                        'details': extra_sub.check(obj[first_failing_extra])})
    entries = []
    for index, (raw, _regex, sub) in enumerate(patterns):
        if index in pattern_failures:
            name = pattern_failures[index]
            entries.append({'propertyName': name, **sub.annotations, 'regexMatched': raw,
                            'details': sub.check(obj[name])})
    if entries:
        details.append({'operatorName': 'patternProperties', 'details': entries})
    return details


def first_duplicate(values):
    seen = set()
    for value in values:
        key = unordered_key(value)
        if key in seen:
            return value
        seen.add(key)
    return MISSING


def all_items(values, sub):
    for index, value in enumerate(values):
        result = sub.check(value)
        if result is not None:
            return [{'operatorName': 'items', **sub.annotations,
                     'reason': 'At least one item did not match the sub-schema',
                     'itemIndex': index, 'details': result}]
    return None


def positional_items(values, subs):
    failures = []
    for index, (sub, value) in enumerate(zip(subs, values)):
        result = sub.check(value)
        if result is not None:
            failures.append({'itemIndex': index, 'details': result})
    return [{'operatorName': 'items', 'details': failures}] if failures else None


def additional_items(values, start, extra, sub):
    if extra is False:
        if len(values) <= start:
            return None
        return [{'operatorName': 'additionalItems', 'specifiedAs': {'additionalItems': False},
                 'reason': 'found additional items', 'additionalItems': list(values[start:])}]
    for index in range(start, len(values)):
        result = sub.check(values[index])
        if result is not None:
            return [{'operatorName': 'additionalItems', **sub.annotations,
                     'reason': 'At least one additional item did not match the sub-schema',
                     'itemIndex': index, 'details': result}]
    return None


def entry(index, sub, result):
    entry = {'index': index}
    if not sub.never:
        entry.update(sub.annotations)
    entry['details'] = result
    return entry


def all_of(value, subs):
    failures = [entry(i, sub, r) for i, sub in enumerate(subs) if (r := sub.check(value)) is not None]
    return [{'operatorName': 'allOf', 'schemasNotSatisfied': failures}] if failures else None


def any_of(value, subs):
    results = [sub.check(value) for sub in subs]
    if any(r is None for r in results):
        return None
    return [{'operatorName': 'anyOf',
             'schemasNotSatisfied': [entry(i, sub, r) for i, (sub, r) in enumerate(zip(subs, results))]}]


def one_of(value, subs):
    results = [sub.check(value) for sub in subs]
    matching = [i for i, r in enumerate(results) if r is None]
    if len(matching) == 1:
        return None
    if matching:
        return [{'operatorName': 'oneOf', 'reason': 'more than one subschema matched',
                 'matchingSchemaIndexes': matching}]
    return [{'operatorName': 'oneOf',
             'schemasNotSatisfied': [entry(i, sub, r) for i, (sub, r) in enumerate(zip(subs, results))]}]
