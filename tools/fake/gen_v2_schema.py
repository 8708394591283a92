#!/usr/bin/env python3
"""Generate lua/mautic/fake/data/v2.lua, the per-resource table of the fake's
/api/v2 (API Platform) from real Mautic 7.0's OpenAPI document and recordings:
    python3 tools/fake/gen_v2_schema.py REFERENCE_DIR > lua/mautic/fake/data/v2.lua
REFERENCE_DIR holds openapi-v2.json and transcripts-v2.jsonl
(../shared/reference/real-mautic-7.0). The output is a JSON document in a Lua
long string, decoded by lua/mautic/fake/v2/resources.lua at load time:

  order      the 33 resources, as the entrypoint lists them, with their entrypoint keys
  contexts   Type -> [[term, is a relation], ...] of the recorded JSON-LD contexts
  resources  name -> { type (@type), get_only, read [props in answer order],
             write [props], kinds {prop: kind}, types {prop: [JSON types]},
             required [props the OpenAPI write schema requires], defaults {prop: value},
             stamp [date props set on create] }

A kind is "iri:<resource>" (an IRI string), "tags" (an object name -> IRI),
"embed:<resource>:<props>" (an object with @id, @type and those props),
"embeds:<resource>:<props>" (a list of them). Defaults: for a resource with a
recorded create, what that create answered beyond what it sent (the entity's
constructor values); else the OpenAPI defaults, [] for arrays and
isPublished true."""
import json, sys, re
from collections import OrderedDict

REF = sys.argv[1]
doc = json.load(open(REF + '/openapi-v2.json'), object_pairs_hook=OrderedDict)
schemas = doc['components']['schemas']

# IRI strings whose target the document does not name (format iri-reference only)
IRI_TARGETS = {'owner': 'users', 'stage': 'stages', 'role': 'roles', 'tags': 'tags', 'form': 'forms',
               'createdBy': 'users', 'modifiedBy': 'users', 'checkedOutBy': 'users', 'campaign': 'campaigns',
               'lead': 'contacts', 'contact': 'contacts', 'email': 'emails', 'category': 'categories',
               'trigger': 'triggers', 'event': 'events', 'parent': 'events', 'asset': 'assets',
               'ipAddress': 'ip_addresses', 'project': 'projects', 'projects': 'projects', 'field': 'fields',
               'page': 'pages', 'focus': 'focus_items', 'segment': 'segments', 'list': 'segments',
               'company': 'companies', 'leadField': 'lead_fields', 'channel': 'channels', 'message': 'messages',
               'children': 'events', 'events': 'events', 'fields': 'fields', 'actions': 'actions',
               'lists': 'segments', 'permissions': 'permissions', 'users': 'users'}

resources, klass, order = OrderedDict(), {}, []
for path, p in doc['paths'].items():
    if '{id}' in path:
        continue
    name = path.split('/')[-1]
    read = p['get']['responses']['200']['content']['application/json']['schema']['items']['$ref'].split('/')[-1]
    post = p.get('post')
    write = post['requestBody']['content']['application/json']['schema']['$ref'].split('/')[-1] if post else None
    resources[name] = {'read_schema': read, 'write_schema': write}
    klass[read.split('-')[0]] = name

def types_of(spec):
    t = spec.get('type')
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return t
    if 'anyOf' in spec:
        out = []
        for s in spec['anyOf']:
            out += ['object'] if '$ref' in s else types_of(s)
        return out
    return []

def ref_kind(ref, many):
    target_schema = ref.split('/')[-1]
    cls = target_schema.split('-')[0].replace('.jsonld', '')
    target = klass.get(cls)
    props = [k for k in schemas.get(target_schema, {}).get('properties', {})]
    if not target:
        return None
    return '%s:%s:%s' % ('embeds' if many else 'embed', target, ','.join(props))

def kind_of(prop, spec):
    if spec.get('format') == 'iri-reference':
        return 'iri:' + IRI_TARGETS.get(prop, prop)
    if spec.get('type') == 'object' and spec.get('additionalProperties', {}).get('format') == 'iri-reference':
        return 'tags'
    if 'anyOf' in spec:
        for s in spec['anyOf']:
            if '$ref' in s:
                return ref_kind(s['$ref'], False)
    if '$ref' in spec:
        return ref_kind(spec['$ref'], False)
    items = spec.get('items') or {}
    if '$ref' in items:
        return ref_kind(items['$ref'], True)
    if items.get('format') == 'iri-reference':
        return 'iris:' + IRI_TARGETS.get(prop, prop)
    return None

recorded = {}
for line in open(REF + '/transcripts-v2.jsonl'):
    t = json.loads(line, object_pairs_hook=OrderedDict)
    req, res = t['request'], t['response']
    m = re.fullmatch(r'/api/v2/(\w+)', req['path'])
    if req['method'] == 'POST' and m and res['status'] == 201 and m.group(1) not in recorded \
            and (req['content_type'] or '') == 'application/json':
        recorded[m.group(1)] = (json.loads(req['body'] or '{}', object_pairs_hook=OrderedDict),
                                json.loads(res['body'], object_pairs_hook=OrderedDict))

DATES = ('dateAdded', 'dateModified', 'dateIdentified', 'lastLogin', 'lastActive')
# what a recorded create answered from what it sent, not a constant: a lead
# field's alias (from its label), a webhook's events (from its triggers)
DERIVED = ('alias', 'events')
out = OrderedDict()
for name, r in resources.items():
    rs = schemas[r['read_schema']]['properties']
    ws = schemas[r['write_schema']] if r['write_schema'] else {'properties': {}}
    e = OrderedDict(type=r['read_schema'].split('-')[0].replace('.', ' '), get_only=r['write_schema'] is None)
    e['read'] = list(rs.keys())
    e['write'] = list(ws['properties'].keys())
    e['required'] = ws.get('required') or []
    kinds, types = OrderedDict(), OrderedDict()
    for k, spec in list(rs.items()) + list(ws['properties'].items()):
        kd = kind_of(k, spec)
        if kd:
            kinds[k] = kd
        if types_of(spec):
            types[k] = types_of(spec)
    e['kinds'], e['types'] = kinds, types
    defaults, stamp = OrderedDict(), []
    if name in recorded:
        sent, answer = recorded[name]
        for k, v in answer.items():
            if k.startswith('@') or k in ('id', 'uuid') + DERIVED or k in sent:
                continue
            if k in DATES:
                stamp.append(k)
            else:
                defaults[k] = v
    else:
        for k, spec in rs.items():
            if 'default' in spec:
                defaults[k] = spec['default']
            elif 'array' in types_of(spec) and 'null' not in types_of(spec):
                defaults[k] = []
            elif k == 'isPublished':
                defaults[k] = True
        stamp = [k for k in ('dateAdded',) if k in rs]
    e['defaults'], e['stamp'] = defaults, stamp
    out[name] = e

# a recorded JSON-LD context (GET /api/v2/contexts/<Type>) names every property
# the serializer knows, more than the read schema: its terms, relations marked
contexts = OrderedDict()
entry = []
for line in open(REF + '/transcripts-v2.jsonl'):
    t = json.loads(line, object_pairs_hook=OrderedDict)
    m = re.fullmatch(r'/api/v2/contexts/(\w+)', t['request']['path'])
    if m and t['response']['status'] == 200:
        ctx = json.loads(t['response']['body'], object_pairs_hook=OrderedDict)['@context']
        contexts[m.group(1)] = [[k, isinstance(v, dict)] for k, v in ctx.items() if k not in ('@vocab', 'hydra')]
    if t['name'] == 'entrypoint':
        for k, v in json.loads(t['response']['body'], object_pairs_hook=OrderedDict).items():
            if not k.startswith('@'):
                entry.append([k, v.split('/')[-1]])

text = json.dumps(OrderedDict(order=entry, resources=out, contexts=contexts), separators=(',', ':'))
assert ']==]' not in text
print('-- Generated by tools/fake/gen_v2_schema.py from real Mautic 7.0\'s openapi-v2.json and')
print('-- transcripts-v2.jsonl: do not edit. Read by mautic.fake.v2.resources.')
print('return [==[' + text + ']==]')
