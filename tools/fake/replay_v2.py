#!/usr/bin/env python3
"""Replay real Mautic 7.0's /api/v2 recordings against a running fake and
compare status, headers and JSON structure (key order included), as replay.py
does for /api:
    python3 tools/fake/replay_v2.py http://127.0.0.1:PORT transcripts-v2.jsonl [name-regex] [-v]

The fake is reset and switched to 7.0 (POST /__fake/config: version 7.0.0, a
bearer token for `bearer`, an expired one for `bearer-expired`, the limited
user of setup.api_v1.users.create_limited); the auth.unpatched_7_0_0.*
exchanges run with v2_bearer_bug = true. `<redacted>` in a body (passwords,
webhook secrets) is sent as one strong password; `access_token=<redacted>` as
the replay's token. cookie-after-basic / cookie-after-bearer send the session
cookie of the last Basic / bearer answer and nothing else.

Compared: the status; the presence of Vary, Accept-Patch, Content-Location,
Location, Link, ETag, Set-Cookie, WWW-Authenticate and Mautic-Version; the
values of Content-Type, Cache-Control, Accept-Patch, Location and
Content-Location (a Link or absolute Location with the server's address
replaced); the JSON skeleton of the body (the first item of each list), and
totalItems. Summarized bodies (the documentation pages) are not compared.

What is not compared, and what cannot match (the last lines count them):
  docs.jsonopenapi / docs.accept_openapi / docs.jsonld / media.get.accept_html:
      summarized in the recording (713797-byte OpenAPI document, Hydra
      documentation, Swagger page): only their status and headers are compared
      (the fake's documents are smaller ones built from its resource table).
  The 12 exchanges on /api (setup.api_v1.*, *.api_v1.*) show /api as Mautic 7.0
  answers it (dateModified set on create, "view own" applied to the limited
  user, a contact /api/v2 made with a gravatar preferredProfileImage and its new
  lead field not yet a column): /api's 7.0 mode, not /api/v2's. They are sent
  (the state must follow the recording) and counted apart on the last lines.
"""
import json, sys, re, base64, http.cookies, urllib.request
from collections import OrderedDict

args = [a for a in sys.argv[1:] if a != '-v']
VERBOSE = '-v' in sys.argv
U, TRANSCRIPTS = args[0], args[1]
ONLY = args[2] if len(args) > 2 else None
TOKEN, EXPIRED, PASSWORD = 'replay-v2-token', 'replay-v2-expired', 'Replay-v2-Pass!93xq'
LIMITED = {'name': None}
COOKIES = {}


def call(method, path, query='', headers=None, body=None):
    url = U + path + ('?' + query if query else '')
    r = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method)
    for k, v in (headers or {}).items():
        r.add_header(k, v)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    try:
        resp = urllib.request.build_opener(NoRedirect).open(r, timeout=20)
        st, hd, b = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        st, hd, b = e.code, e.headers, e.read()
    h = {}
    for k, v in hd.items():
        h[k.lower()] = v if k.lower() not in h else h[k.lower()] + ',' + v
    return st, h, b.decode('utf-8', 'replace')


def config(c):
    call('POST', '/__fake/config', '', {'Content-Type': 'application/json'}, json.dumps(c))


def basic(user, pw):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, pw)).encode()).decode()


def auth_headers(auth):
    if auth == 'bearer':
        return {'Authorization': 'Bearer ' + TOKEN}
    if auth == 'basic':
        return {'Authorization': basic('admin', 'mautic')}
    if auth == 'basic-wrong-password':
        return {'Authorization': basic('admin', 'nope')}
    if auth == 'bearer-garbage':
        return {'Authorization': 'Bearer garbage'}
    if auth == 'bearer-expired':
        return {'Authorization': 'Bearer ' + EXPIRED}
    if auth == 'basic-limited-user':
        return {'Authorization': basic(LIMITED['name'] or 'limited', PASSWORD)}
    if auth in ('cookie-after-basic', 'cookie-after-bearer'):
        c = COOKIES.get(auth.split('-')[-1])
        return {'Cookie': c} if c else {}
    return {}


def remember_cookie(auth, h):
    sc = h.get('set-cookie')
    if sc and auth in ('basic', 'bearer'):
        COOKIES[auth] = sc.split(';')[0]


def skel(v):
    if isinstance(v, dict):
        return ('{', tuple((k if not re.fullmatch(r'\d+', k) else '#', skel(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ('[', tuple(skel(x) for x in v[:1]))
    if v is None:
        return 'null'
    return type(v).__name__


def diff(a, b, path=''):
    if type(a) != type(b):
        return ['%s: %s vs %s' % (path, str(a)[:80], str(b)[:80])]
    if isinstance(a, tuple) and a and a[0] == '{':
        ka, kb = [k for k, _ in a[1]], [k for k, _ in b[1]]
        if ka != kb:
            return ['%s keys: real %s / fake %s' % (path, ka[:30], kb[:30])]
        out = []
        for (k, x), (_, y) in zip(a[1], b[1]):
            out += diff(x, y, path + '.' + k)
        return out
    if isinstance(a, tuple) and a and a[0] == '[':
        if len(a[1]) != len(b[1]):
            return ['%s: list len real %d fake %d' % (path, len(a[1]), len(b[1]))]
        out = []
        for x, y in zip(a[1], b[1]):
            out += diff(x, y, path + '[]')
        return out
    return ['%s: %s vs %s' % (path, a, b)] if a != b else []


PRESENT = ('vary', 'accept-patch', 'content-location', 'location', 'link', 'etag', 'set-cookie',
           'www-authenticate', 'mautic-version')
VALUES = ('content-type', 'cache-control', 'accept-patch', 'location', 'content-location', 'link')


def norm(k, v):
    v = re.sub(r'https?://[^/>]+', 'http://HOST', v)
    return v.lower() if k == 'content-type' else v


def compare(t, st, h, b):
    s = t['response']
    probs = []
    if st != s['status']:
        probs.append('status real %s fake %s' % (s['status'], st))
    for k in PRESENT:
        if (k in s['headers']) != (k in h):
            probs.append('%s real %r fake %r' % (k, s['headers'].get(k), h.get(k)))
    for k in VALUES:
        if k in s['headers'] and k in h and norm(k, s['headers'][k]) != norm(k, h[k]):
            probs.append('%s real %r fake %r' % (k, s['headers'][k], h[k]))
    if s.get('summarized') or (s['body'] or '').startswith('<text ') or (s['body'] or '').startswith('<json '):
        return probs
    try:
        ra = json.loads(s['body'], object_pairs_hook=OrderedDict) if s['body'] else None
        fa = json.loads(b, object_pairs_hook=OrderedDict) if b else None
    except ValueError:
        if (s['body'] or '') != b and not s['body'].startswith('<!DOCTYPE'):
            probs.append('body real %r fake %r' % (s['body'][:100], b[:100]))
        return probs
    probs += diff(skel(ra), skel(fa))[:4]
    if isinstance(ra, dict) and isinstance(fa, dict) and ra.get('totalItems') != fa.get('totalItems'):
        probs.append('totalItems real %r fake %r' % (ra.get('totalItems'), fa.get('totalItems')))
    return probs


def main():
    call('POST', '/__fake/reset')
    config({'version': '7.0.0', 'tokens': {TOKEN: True, EXPIRED: {'expires_at': 1}}})
    ok = bad = 0
    v2 = [0, 0]
    for line in open(TRANSCRIPTS):
        t = json.loads(line, object_pairs_hook=OrderedDict)
        n, r = t['name'], t['request']
        if n == 'setup.api_v1.users.create_limited':
            LIMITED['name'] = json.loads(r['body'])['username']
            config({'users': {'admin': 'mautic', LIMITED['name']: PASSWORD}})
        if n.startswith('auth.unpatched_7_0_0.'):
            config({'v2_bearer_bug': True})
        headers = auth_headers(r['auth'])
        if r['content_type']:
            headers['Content-Type'] = r['content_type']
        if r.get('accept'):
            headers['Accept'] = r['accept']
        body = r['body'].replace('<redacted>', PASSWORD) if r['body'] is not None else None
        query = (r['query'] or '').replace('access_token=%3Credacted%3E', 'access_token=' + TOKEN) \
                                  .replace('access_token=<redacted>', 'access_token=' + TOKEN)
        st, h, b = call(r['method'], r['path'], query, headers, body)
        remember_cookie(r['auth'], h)
        if ONLY and not re.search(ONLY, n):
            continue
        probs = compare(t, st, h, b)
        if r['path'].startswith('/api/v2'):
            v2[0 if probs else 1] += 1
        if probs:
            bad += 1
            print('X', n, r['method'], r['path'], r['query'])
            for p in probs:
                print('    ', p)
        else:
            ok += 1
            if VERBOSE:
                print('ok', n)
    print('/api/v2: ok %d bad %d; /api: ok %d bad %d' % (v2[1], v2[0], ok - v2[1], bad - v2[0]))
    print('ok', ok, 'bad', bad)


main()
