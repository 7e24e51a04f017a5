"""The API's JSON parser: bounded nesting and German messages for a body that is no JSON.

DRF's JSONParser lets ``RecursionError`` escape on a deeply nested body (a 500, issue 9 defect 9)
and answers syntax errors with the json module's English text. Set as the default parser in
``settings.REST_FRAMEWORK``.
"""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

# Deepest structure the API accepts: no endpoint needs more than 3 levels (an application's
# cost items); the bound keeps every later step (validation, error rendering) far from
# Python's recursion limit.
MAX_DEPTH = 32


def nesting_depth_exceeds(data, limit) -> bool:
    """True when ``data`` has arrays/objects nested deeper than ``limit`` (without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """JSON with at most ``MAX_DEPTH`` levels of arrays and objects; refusals are a 400
    ``{"detail", "code"}`` with ``code`` ``parse_error`` or ``nesting_too_deep``."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        parse_constant = strict_constant if self.strict else None
        try:
            data = json.load(codecs.getreader(encoding)(stream), parse_constant=parse_constant)
        except RecursionError:
            raise self._too_deep() from None
        except UnicodeDecodeError:
            raise ParseError(
                _("The request body is not valid %(encoding)s text.") % {"encoding": encoding},
                code="parse_error",
            ) from None
        except json.JSONDecodeError as exc:
            raise ParseError(
                _("The request body is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": exc.lineno, "column": exc.colno},
                code="parse_error",
            ) from None
        except ValueError:  # NaN or Infinity in strict mode
            raise ParseError(
                _("The request body is not valid JSON (NaN and Infinity are not allowed)."),
                code="parse_error",
            ) from None
        if nesting_depth_exceeds(data, self.max_depth):
            raise self._too_deep()
        return data

    def _too_deep(self):
        return ParseError(
            _("The request body is nested too deeply: at most %(max)s levels are allowed.")
            % {"max": self.max_depth},
            code="nesting_too_deep",
        )
