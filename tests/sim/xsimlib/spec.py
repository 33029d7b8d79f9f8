# SPDX-License-Identifier: GPL-2.0-or-later
"""X's OpenAPI excerpt (x-api-v2-openapi-excerpt.json): where to find it, routes from its
paths, parameters and security per operation, and a validator for the subset of JSON Schema
it uses (for request bodies, the self-check and the self-tests)."""

import json
import os
import re
import urllib.parse

from .util import parse_iso

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))  # tests/sim/xsimlib -> root
SPEC_NAME = 'x-api-v2-openapi-excerpt.json'


def default_spec_path():
    shared = os.environ.get('TB_SHARED_DIR')
    candidates = []
    if shared:
        candidates.append(os.path.join(shared, 'reference', SPEC_NAME))
    candidates.append(os.path.join(os.path.dirname(REPO), 'shared', 'reference', SPEC_NAME))
    candidates.append(os.path.join(REPO, 'tests', 'data', SPEC_NAME))
    for c in candidates:
        if os.path.isfile(c):
            return c
    return candidates[-1]


class Spec:
    def __init__(self, path):
        self.path = path
        with open(path, encoding='utf-8') as f:
            self.doc = json.load(f)
        self.version = str(self.doc.get('info', {}).get('version', '2'))
        self.components = self.doc.get('components', {})
        self.schemas = self.components.get('schemas', {})
        self.routes = []
        for tmpl, item in self.doc.get('paths', {}).items():
            segs = tmpl.strip('/').split('/')
            parts, literal = [], 0
            for s in segs:
                m = re.fullmatch(r'\{(\w+)\}', s)
                if m:
                    parts.append('(?P<%s>[^/]+)' % m.group(1))
                else:
                    parts.append(re.escape(s))
                    literal += 1
            rx = re.compile('^/' + '/'.join(parts) + '/?$')
            ops = {}
            for method, op in item.items():
                if method in ('get', 'post', 'put', 'delete', 'patch'):
                    ops[method.upper()] = op
            self.routes.append((literal, len(segs), rx, tmpl, ops))
        self.routes.sort(key=lambda r: (-r[0], r[1]))
        self._params = {}

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and '$ref' in node and seen < 32:
            ref = node['$ref']
            if not ref.startswith('#/'):
                break
            cur = self.doc
            for part in ref[2:].split('/'):
                cur = cur[part]
            node = cur
            seen += 1
        return node

    def match(self, method, path):
        """-> (template, op, path_params) or (None, None, None)."""
        for _lit, _n, rx, tmpl, ops in self.routes:
            m = rx.match(path)
            if m and method in ops:
                params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return tmpl, ops[method], params
        return None, None, None

    def params(self, op):
        key = id(op)
        if key not in self._params:
            out = []
            for p in op.get('parameters', []):
                p = self.resolve(p)
                sch = self.resolve(p.get('schema', {}))
                out.append((p, sch))
            self._params[key] = out
        return self._params[key]

    def query_params(self, op):
        return [(p, s) for p, s in self.params(op) if p.get('in') == 'query']

    def path_params(self, op):
        return [(p, s) for p, s in self.params(op) if p.get('in') == 'path']

    def body_schema(self, op):
        rb = op.get('requestBody', {}).get('content', {})
        for ctype in ('application/json',):
            if ctype in rb:
                return rb[ctype].get('schema')
        return None

    def response_schema(self, op, status):
        resp = op.get('responses', {}).get(str(status))
        if not resp:
            return None
        return resp.get('content', {}).get('application/json', {}).get('schema')

    def scopes(self, op):
        for sec in op.get('security', []):
            if 'OAuth2UserToken' in sec:
                return set(sec['OAuth2UserToken'])
        return set()

    def schemes(self, op):
        out = set()
        for sec in op.get('security', []):
            out.update(sec.keys())
        return out

    def enum_of(self, op, name):
        for p, s in self.query_params(op):
            if p['name'] == name and s.get('type') == 'array':
                return list(self.resolve(s.get('items', {})).get('enum', []))
        return []


class SchemaValidator:
    """type, required, properties, additionalProperties, items, min/maxItems,
    uniqueItems, min/maxLength, pattern, enum, minimum/maximum, format
    (date-time, uri), $ref, allOf, anyOf, oneOf, discriminator."""

    def __init__(self, spec):
        self.spec = spec

    def validate(self, inst, schema, path='$'):
        errs = []
        self._v(inst, schema, path, errs, frozenset(), 0)
        return errs

    def _type_ok(self, inst, t):
        return {
            'object': lambda v: isinstance(v, dict),
            'array': lambda v: isinstance(v, list),
            'string': lambda v: isinstance(v, str),
            'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
            'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            'boolean': lambda v: isinstance(v, bool),
            'null': lambda v: v is None,
        }.get(t, lambda v: True)(inst)

    @staticmethod
    def _tname(v):
        if isinstance(v, bool):
            return 'boolean'
        if isinstance(v, int):
            return 'integer'
        if isinstance(v, float):
            return 'number'
        if isinstance(v, str):
            return 'string'
        if isinstance(v, list):
            return 'array'
        if isinstance(v, dict):
            return 'object'
        return 'null'

    def _v(self, inst, sch, path, errs, disc_seen, depth):
        if depth > 64 or not isinstance(sch, dict):
            return
        if '$ref' in sch:
            self._v(inst, self.spec.resolve(sch), path, errs, disc_seen, depth + 1)
            return
        disc = sch.get('discriminator')
        if disc and isinstance(inst, dict):
            target = disc.get('mapping', {}).get(inst.get(disc.get('propertyName')))
            if target and target not in disc_seen:
                self._v(inst, {'$ref': target}, path, errs, disc_seen | {target}, depth + 1)
        for sub in sch.get('allOf', []):
            self._v(inst, sub, path, errs, disc_seen, depth + 1)
        if 'anyOf' in sch:
            if not any(not self.validate_sub(inst, s, path, disc_seen, depth)
                       for s in sch['anyOf']):
                errs.append('%s: should be valid to any of the schemas' % path)
        if 'oneOf' in sch:
            n = sum(1 for s in sch['oneOf'] if not self.validate_sub(inst, s, path, disc_seen, depth))
            if n != 1:
                errs.append('%s: should be valid to one and only one schema, but %d are valid'
                            % (path, n))
        t = sch.get('type')
        if t and not self._type_ok(inst, t):
            errs.append('%s: %s found, %s expected' % (path, self._tname(inst), t))
            return
        if 'enum' in sch and inst not in sch['enum']:
            errs.append('%s: does not have a value in the enumeration %s'
                        % (path, json.dumps(sch['enum'])))
        if isinstance(inst, str):
            if 'minLength' in sch and len(inst) < sch['minLength']:
                errs.append('%s: must be at least %d characters long' % (path, sch['minLength']))
            if 'maxLength' in sch and len(inst) > sch['maxLength']:
                errs.append('%s: may only be %d characters long' % (path, sch['maxLength']))
            if 'pattern' in sch and not re.search(sch['pattern'], inst):
                errs.append('%s: does not match the regex pattern %s' % (path, sch['pattern']))
            fmt = sch.get('format')
            if fmt == 'date-time' and parse_iso(inst) is None:
                errs.append('%s: is not a valid RFC 3339 date-time' % path)
            if fmt == 'uri' and not re.match(r'^[A-Za-z][A-Za-z0-9+.-]*:', inst):
                errs.append('%s: is not a valid URI' % path)
        if isinstance(inst, (int, float)) and not isinstance(inst, bool):
            if 'minimum' in sch and inst < sch['minimum']:
                errs.append('%s: must have a minimum value of %s' % (path, sch['minimum']))
            if 'maximum' in sch and inst > sch['maximum']:
                errs.append('%s: must have a maximum value of %s' % (path, sch['maximum']))
        if isinstance(inst, list):
            if 'minItems' in sch and len(inst) < sch['minItems']:
                errs.append('%s: there must be a minimum of %d items in the array'
                            % (path, sch['minItems']))
            if 'maxItems' in sch and len(inst) > sch['maxItems']:
                errs.append('%s: there must be a maximum of %d items in the array'
                            % (path, sch['maxItems']))
            if sch.get('uniqueItems'):
                seen = [json.dumps(x, sort_keys=True) for x in inst]
                if len(set(seen)) != len(seen):
                    errs.append('%s: the items in the array must be unique' % path)
            if 'items' in sch:
                for i, item in enumerate(inst):
                    self._v(item, sch['items'], '%s[%d]' % (path, i), errs, disc_seen, depth + 1)
        if isinstance(inst, dict):
            for r in sch.get('required', []):
                if r not in inst:
                    errs.append('%s.%s: is missing but it is required' % (path, r))
            props = sch.get('properties', {})
            for k, v in inst.items():
                if k in props:
                    self._v(v, props[k], '%s.%s' % (path, k), errs, disc_seen, depth + 1)
                else:
                    ap = sch.get('additionalProperties', True)
                    if ap is False:
                        errs.append('%s.%s: is not defined in the schema and the schema does '
                                    'not allow additional properties' % (path, k))
                    elif isinstance(ap, dict):
                        self._v(v, ap, '%s.%s' % (path, k), errs, disc_seen, depth + 1)

    def validate_sub(self, inst, sch, path, disc_seen, depth):
        errs = []
        self._v(inst, sch, path, errs, disc_seen, depth + 1)
        return errs
