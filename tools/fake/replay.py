#!/usr/bin/env python3
"""Replay the golden transcripts against a running fake and compare status,
headers and JSON structure (key order included):
    python3 tools/fake/replay.py http://127.0.0.1:PORT transcripts.jsonl [name-regex]
Bearer requests carry a client_credentials token the fake issues (as recorded); OAuth, rate-limit and
limited-user exchanges are skipped. The fake is switched to the Mautic version
the recording answered as (its first Mautic-Version header: 5.1.0 or 7.0.0).
Uuids are random on both sides: each "uuid" a recorded answer holds is mapped
to the one the fake answered in the same place, and replaced in later request
bodies (a 7.0 campaign export, then its import)."""
import json, sys, urllib.request, base64, re
from collections import OrderedDict
U=sys.argv[1]; TRANSCRIPTS=sys.argv[2]; only=sys.argv[3] if len(sys.argv)>3 else None
def req(method, path, query, ct, body, auth):
    url=U+path+('?'+query if query else '')
    data=body.encode() if body is not None else None
    r=urllib.request.Request(url, data=data, method=method)
    if ct: r.add_header('Content-Type', ct)
    if auth=='bearer' and TOKEN: r.add_header('Authorization','Bearer '+TOKEN)
    elif auth in ('bearer','basic'): r.add_header('Authorization','Basic '+base64.b64encode(b'admin:mautic').decode())
    if auth=='basic-wrong-password': r.add_header('Authorization','Basic '+base64.b64encode(b'admin:nope').decode())
    if auth=='bearer-garbage': r.add_header('Authorization','Bearer garbage')
    class NR(urllib.request.HTTPRedirectHandler):
        def redirect_request(self,*a,**k): return None
    op=urllib.request.build_opener(NR)
    try:
        resp=op.open(r, timeout=10); return resp.status, dict((k.lower(),v) for k,v in resp.headers.items()), resp.read().decode('utf-8','replace')
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(),v) for k,v in e.headers.items()), e.read().decode('utf-8','replace')
def skel(v):
    if isinstance(v,dict): return ('{', tuple((k if not re.fullmatch(r'\d+',k) else '#', skel(x)) for k,x in v.items()))
    # the first item's shape, and every shape the items take
    if isinstance(v,list): return ('[', tuple(skel(x) for x in v[:1]), frozenset(skel(x) for x in v))
    if v is None: return 'null'
    return type(v).__name__
def diff(a,b,path=''):
    if type(a)!=type(b): return ['%s: %s vs %s'%(path, str(a)[:80], str(b)[:80])]
    if isinstance(a,tuple) and a and a[0]=='{':
        ka=[k for k,_ in a[1]]; kb=[k for k,_ in b[1]]
        if ka!=kb: return ['%s keys: real %s / fake %s'%(path, ka[:30], kb[:30])]
        out=[]
        for (k,x),(_,y) in zip(a[1],b[1]): out+=diff(x,y,path+'.'+k)
        return out
    if isinstance(a,tuple) and a and a[0]=='[':
        if len(a[1])!=len(b[1]): return ['%s: list len real %d fake %d'%(path,len(a[1]),len(b[1]))]
        # the real first item's shape anywhere in the fake's list: items with one
        # timestamp (an activity timeline) come in the order of the replay's clock
        if a[1] and a[1][0] in b[2]: return []
        out=[]
        for x,y in zip(a[1],b[1]): out+=diff(x,y,path+'[]')
        return out
    if a!=b: return ['%s: %s vs %s'%(path,a,b)]
    return []
def recorded_version():
    for l in open(TRANSCRIPTS):
        v=json.loads(l)['response']['headers'].get('mautic-version')
        if v: return v
    return '5.1.0'
VERSION=recorded_version()
urllib.request.urlopen(urllib.request.Request(U+'/__fake/reset',method='POST',
    data=json.dumps({'config':{'version':VERSION}}).encode(),headers={'Content-Type':'application/json'}))
# a client_credentials token of the fake's OAuth2 client, as the recordings used
TOKEN=json.load(urllib.request.urlopen(urllib.request.Request(U+'/__fake/oauth2/issue',method='POST',
    data=b'{}',headers={'Content-Type':'application/json'})))['access_token']
UUIDS={}
def learn_uuids(real, fake):
    if isinstance(real,dict) and isinstance(fake,dict):
        for k,v in real.items():
            if k=='uuid' and isinstance(v,str) and isinstance(fake.get(k),str): UUIDS[v]=fake[k]
            else: learn_uuids(v, fake.get(k))
    elif isinstance(real,list) and isinstance(fake,list):
        for x,y in zip(real,fake): learn_uuids(x,y)
def with_uuids(body):
    if body is None: return None
    for a,b in UUIDS.items(): body=body.replace(a,b)
    return body
ok=bad=0
for l in open(TRANSCRIPTS):
    d=json.loads(l); n=d['name']; r=d['request']; s=d['response']
    if n.startswith(('auth.oauth2','auth.oauth1','ratelimit','auth.bearer.in_query','auth.bearer.expired','auth.limited')): continue
    st,h,b=req(r['method'],r['path'],r['query'],r['content_type'],with_uuids(r['body']),r['auth'])
    if only and not re.search(only,n): continue
    probs=[]
    if st!=s['status']: probs.append('status real %s fake %s'%(s['status'],st))
    if ('mautic-version' in s['headers'])!=('mautic-version' in h): probs.append('mautic-version real %s fake %s'%('mautic-version' in s['headers'],'mautic-version' in h))
    if ('location' in s['headers'])!=('location' in h): probs.append('location real %s fake %s'%(s['headers'].get('location'),h.get('location')))
    elif 'location' in h and h['location']!=s['headers']['location'] and not r['path'].endswith('/'): probs.append('location real %s fake %s'%(s['headers'].get('location'),h.get('location')))
    try:
        ra=json.loads(s['body'],object_pairs_hook=OrderedDict) if s['body'] else None
        fa=json.loads(b,object_pairs_hook=OrderedDict) if b else None
        if ra is not None or fa is not None:
            learn_uuids(ra,fa)
            dd=diff(skel(ra),skel(fa))
            if dd: probs+=dd[:4]
            if isinstance(ra,dict) and isinstance(fa,dict):
                for k in ('total',):
                    if k in ra and ra.get(k)!=fa.get(k): probs.append('total real %r fake %r'%(ra.get(k),fa.get(k)))
                for k,v in ra.items():
                    if isinstance(v,dict) and isinstance(fa.get(k),dict) and all(re.fullmatch(r'\d+',x) for x in v) and list(v)!=list(fa[k]):
                        probs.append('%s key order real %s fake %s'%(k,list(v)[:10],list(fa[k])[:10]))
    except Exception as e:
        if s['body']!=b: probs.append('body real %r fake %r'%(s['body'][:100],b[:100]))
    if probs:
        bad+=1; print('X',n,r['method'],r['path'],r['query']); [print('    ',p) for p in probs]
    else: ok+=1
print('ok',ok,'bad',bad,'(Mautic %s)'%VERSION)
