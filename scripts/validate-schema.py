"""Validate a JSON document against one of lgreg's schemas: validate-schema.py SCHEMA [FILE|-].

Used by the test suite so every format lgreg writes is checked against Schemas/ by an outside validator
(the `jsonschema` package). Exit 0 when valid; 1 with the validator's message otherwise.
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
document = json.load(sys.stdin if len(sys.argv) < 3 or sys.argv[2] == "-" else open(sys.argv[2]))
try:
    jsonschema.Draft202012Validator(schema).validate(document)
except jsonschema.ValidationError as error:
    print(f"{sys.argv[1]}: {error.message} at {list(error.absolute_path)}", file=sys.stderr)
    sys.exit(1)
