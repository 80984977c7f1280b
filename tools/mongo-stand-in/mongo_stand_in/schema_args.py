"""Arguments of $jsonSchema keywords, checked with mongod's parse errors (codes and text)."""

from .bsonvalues import render
from .errors import CommandError
from .schema_types import bson_type, is_number


def non_negative(keyword, value):
    """mongod's parseIntegerElementToNonNegativeLong."""
    shown = f'{keyword}: {render(value)}'
    if not is_number(value):
        raise CommandError(9, f'Expected a number in: {shown}')
    number = value.to_decimal() if hasattr(value, 'to_decimal') else value
    if number != number:
        raise CommandError(9, f'Expected an integer, but found NaN in: {shown}')
    if not -2 ** 63 <= number < 2 ** 63:
        raise CommandError(9, f'Cannot represent as a 64-bit integer: {shown}')
    if number != int(number):
        raise CommandError(9, f'Expected an integer: {shown}')
    if number < 0:
        raise CommandError(9, f'Expected a positive number in: {shown}')
    return int(number)


def array_of_objects(keyword, value, empty_code=2):
    if not isinstance(value, list):
        raise CommandError(14, f"$jsonSchema keyword '{keyword}' must be an array")
    if not value:
        raise CommandError(empty_code, f"$jsonSchema keyword '{keyword}' must be a non-empty array")
    for item in value:
        if not isinstance(item, dict):
            raise CommandError(14, f"$jsonSchema keyword '{keyword}' must be an array of objects, "
                                   f'but found an element of type {bson_type(item)}')
    return value


def required_names(names):
    if not isinstance(names, list):
        raise CommandError(14, "$jsonSchema keyword 'required' must be an array, but found an element "
                               f'of type {bson_type(names)}')
    for name in names:
        if not isinstance(name, str):
            raise CommandError(14, "$jsonSchema keyword 'required' must be an array of strings, but found "
                                   f'an element of type: {bson_type(name)}')
    if len(set(names)) != len(names):
        raise CommandError(9, "$jsonSchema keyword 'required' array cannot contain duplicate values")
    if not names:
        raise CommandError(9, "$jsonSchema keyword 'required' cannot be an empty array")
    return names
