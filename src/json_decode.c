/*
 * json_decode.c - core.json_decode(text [, order]): JSON text to Lua values
 * in one pass, in the shape the Lua layer (lua/mautic/json.lua) promises:
 *
 *   numbers  Lua 5.3+: an integer literal that fits lua_Integer, or a value
 *            that is integral with |v| < 2^53 (5.0, 1e3), is an integer; the
 *            rest are floats. Lua 5.1/LuaJIT: doubles. A number too large
 *            for a double is an error; one too small rounds towards zero.
 *   strings  escapes decoded, \u surrogate pairs to UTF-8 (a lone surrogate
 *            is an error); every other byte is kept as it is, invalid UTF-8
 *            included; a raw control character (< 0x20) is an error.
 *   objects  tables; a member whose value is null is left out (and removes
 *            an earlier member of the same name: the last one wins).
 *   arrays   tables with the "mautic.json.array" metatable (core.json_array_mt,
 *            json.array's), so they encode back as arrays, empty ones too;
 *            a null stays in place as core.json_null (NULL light userdata,
 *            the same value as cjson.null).
 *   order    a string: a second result, the keys of the top-level object's
 *            member of that name in document order (nil when that member is
 *            not an object). A table: order[t] = keys in document order for
 *            the top-level object and each object directly under it that has
 *            two members or more (one member or none: order cannot matter).
 *   share    true: a leaf object (members, no object inside, no array but
 *            empty ones) whose text is the same as an earlier one's in this
 *            text is that earlier table, not a copy (see parse_object).
 *
 * Malformed text (truncated, bad escapes, trailing text...), nesting deeper
 * than 1000 and numbers out of range give nil, "<what> at byte offset N"
 * (N bytes precede the problem). Nothing is malloc'd: values live on the Lua
 * stack, escaped strings and long numbers are built in a Lua userdata, so a
 * memory error raised by Lua cannot leak.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_decode.h"

#define JD_ARRAY_MT "mautic.json.array"
#define JD_MAX_DEPTH 1000
#define JD_GATHER 32        /* members kept on the stack before their table is made */
#define JD_LEAF_MAX 1024    /* longest leaf object text that is looked up to be shared */
#define JD_LEAF_SPAN 2048   /* > JD_LEAF_MAX: packs a leaf's offset and length in one integer */

static int parse_value(jd *d, int flags);

/* the key at -2 gets the value at -1 (popped); a null removes the key */
static void set_member(lua_State *L, int t, int null)
{
    if (!null) {
        lua_rawset(L, t);
        return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawget(L, t);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 2);
    } else {
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_rawset(L, t);
    }
}

/* n key/value pairs from `first` into a new table, left at `first` */
static int make_object(lua_State *L, int first, int n, int size)
{
    int i, t;
    lua_createtable(L, 0, size);
    t = lua_gettop(L);
    for (i = 0; i < n; i++) {
        lua_pushvalue(L, first + 2 * i);
        lua_pushvalue(L, first + 2 * i + 1);
        set_member(L, t, lua_type(L, -1) == LUA_TLIGHTUSERDATA);
    }
    if (t != first) {
        lua_replace(L, first);
        lua_settop(L, first);
    }
    return first;
}

/* n values from `first` into a new array, left at `first` */
static int make_array(lua_State *L, int first, int n, int size)
{
    lua_createtable(L, size, 0);
    lua_insert(L, first);
    for (; n > 0; n--)
        lua_rawseti(L, first, n);
    return first;
}

/* the flags for the value of the key at -1: JD_REC (note its keys) for
   every member in table mode, for the member `order` names in field mode */
static int member_flags(jd *d, int flags)
{
    if ((flags & JD_KIDS) && d->mode == JD_TABLE)
        return JD_REC;
    if ((flags & JD_KIDS) && d->mode == JD_FIELD) {
        size_t kl;
        const char *k = lua_tolstring(d->L, -1, &kl);
        if (kl == d->field_len && memcmp(k, d->field, kl) == 0) {
            lua_pushnil(d->L);      /* until an object says otherwise */
            lua_replace(d->L, d->order_idx);
            return JD_REC;
        }
    }
    return 0;
}

/* the key of a member, pushed, and the ':' after it; the key also appended
   to the table at `keys` when there is one. The flags for its value, or -1 */
static int parse_key(jd *d, int flags, int keys, int *nkeys)
{
    int kid;
    if (d->p >= d->end || *d->p != '"')
        return jd_fail(d, d->p, "expected a string key in an object");
    if (jd_string(d) < 0)
        return -1;
    if (keys) {
        lua_pushvalue(d->L, -1);
        lua_rawseti(d->L, keys, ++*nkeys);
    }
    kid = member_flags(d, flags);
    jd_skip_ws(d);
    if (d->p >= d->end || *d->p != ':')
        return jd_fail(d, d->p, "expected ':' after an object key");
    d->p++;
    jd_skip_ws(d);
    return kid;
}

/* the keys of the object at tbl, in document order (the table at `keys`,
   removed from the stack): the result slot in field mode, order[tbl] in
   table mode when it has two or more */
static void note_keys(jd *d, int keys, int nkeys, int tbl)
{
    lua_State *L = d->L;
    if (d->mode == JD_FIELD) {
        lua_pushvalue(L, keys);
        lua_replace(L, d->order_idx);
    } else if (nkeys >= 2) {
        lua_pushvalue(L, tbl);
        lua_pushvalue(L, keys);
        lua_rawset(L, d->order_idx);
    }
    lua_remove(L, keys);
}

/* members are gathered on the stack, JD_GATHER at a time, so that the
   table is made at its size (nulls left out) */
static int parse_members(jd *d, int flags)
{
    lua_State *L = d->L;
    int keys = 0, nkeys = 0, tbl = 0, first, n = 0, live = 0;
    if (++d->depth > JD_MAX_DEPTH)
        return jd_fail(d, d->p, "nested deeper than 1000 levels");
    if (!lua_checkstack(L, 2 * JD_GATHER + 8))
        return jd_fail(d, d->p, "nested too deeply for the Lua stack");
    d->p++;
    if (flags & JD_REC) {
        lua_newtable(L);
        keys = lua_gettop(L);
    }
    first = lua_gettop(L) + 1;
    jd_skip_ws(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
    } else {
        for (;;) {
            int kid = parse_key(d, flags, keys, &nkeys), rc;
            if (kid < 0 || (rc = parse_value(d, kid)) < 0)
                return -1;
            if (tbl) {
                set_member(L, tbl, rc);
            } else {
                live += !rc;
                if (++n == JD_GATHER) {
                    tbl = make_object(L, first, n, 2 * JD_GATHER);
                    n = 0;
                }
            }
            jd_skip_ws(d);
            if (d->p < d->end && *d->p == ',') {
                d->p++;
                jd_skip_ws(d);
            } else if (d->p < d->end && *d->p == '}') {
                d->p++;
                break;
            } else {
                return jd_fail(d, d->p, "expected ',' or '}' in an object");
            }
        }
    }
    if (!tbl)
        tbl = make_object(L, first, n, live);
    d->depth--;
    if (keys)
        note_keys(d, keys, nkeys, tbl);
    return 0;
}

/* Where the object at p ends when it is a leaf: at least one member, no
   object inside and no array but empty ones ("properties":[]). NULL when it
   is not a leaf, or longer than JD_LEAF_MAX (the scan must stay cheaper than
   the decode it may save). Only a guess at the shape: the text is still
   parsed, and checked, before it is first shared. */
static const char *leaf_end(const char *p, const char *end)
{
    const char *limit = end - p > JD_LEAF_MAX ? p + JD_LEAF_MAX : end;
    int members = 0;
    for (p++; p < limit; p++) {
        switch (*p) {
        case '"':
            members = 1;
            for (p++; p < limit && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (p >= limit)
                return NULL;
            break;
        case '{':
            return NULL;
        case '[':
            for (p++; p < limit && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'); p++)
                ;
            if (p >= limit || *p != ']')
                return NULL;
            break;
        case '}':
            return members ? p + 1 : NULL;
        }
    }
    return NULL;
}

/* FNV-1a: a leaf object's text to the key it is looked up by */
static int text_key(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--) {
        h ^= (unsigned char)*p++;
        h *= 16777619u;
    }
    return (int)(h & 0x7fffffff);
}

/* A leaf object whose text was seen before in this decode is the table made
   then: a list of contacts repeats the same field definitions (an empty
   field's is the same text for every contact), and one table for them all
   is what makes a page of entities cost what its distinct data costs. A
   table is only shared with an identical text: the key is a hash of the
   text, and where that text was (offset * JD_LEAF_SPAN + length) is kept to
   compare the bytes; a second text with the same hash is decoded apart.
   No Lua string is made for the text, so a lookup allocates nothing. */
static int parse_object(jd *d, int flags)
{
    lua_State *L = d->L;
    const char *e;
    size_t n, off;
    int key, same = 0, fresh;
    if (!d->intern_idx || (flags & JD_REC) || !(e = leaf_end(d->p, d->end)))
        return parse_members(d, flags);
    n = (size_t)(e - d->p);
    off = (size_t)(d->p - d->start);
    key = text_key(d->p, n);
    lua_rawgeti(L, d->intern_idx + 1, key);
    fresh = lua_isnil(L, -1);
    if (!fresh) {
        size_t at = (size_t)lua_tointeger(L, -1);
        same = at % JD_LEAF_SPAN == n && memcmp(d->start + at / JD_LEAF_SPAN, d->p, n) == 0;
    }
    lua_pop(L, 1);
    if (same) {
        lua_rawgeti(L, d->intern_idx, key);
        d->p = e;
        return 0;
    }
    if (parse_members(d, flags) < 0)
        return -1;
    if (fresh) {
        lua_pushvalue(L, -1);
        lua_rawseti(L, d->intern_idx, key);
        lua_pushinteger(L, (lua_Integer)(off * JD_LEAF_SPAN + n));
        lua_rawseti(L, d->intern_idx + 1, key);
    }
    return 0;
}

static int parse_array(jd *d)
{
    lua_State *L = d->L;
    int tbl = 0, first, n = 0, count = 0;
    if (++d->depth > JD_MAX_DEPTH)
        return jd_fail(d, d->p, "nested deeper than 1000 levels");
    if (!lua_checkstack(L, JD_GATHER + 8))
        return jd_fail(d, d->p, "nested too deeply for the Lua stack");
    d->p++;
    first = lua_gettop(L) + 1;
    jd_skip_ws(d);
    if (d->p < d->end && *d->p == ']') {
        d->p++;
    } else {
        for (;;) {
            if (parse_value(d, 0) < 0)
                return -1;
            if (tbl) {
                lua_rawseti(L, tbl, ++count);
            } else if (++n == JD_GATHER) {
                tbl = make_array(L, first, n, 2 * JD_GATHER);
                count = n;
            }
            jd_skip_ws(d);
            if (d->p < d->end && *d->p == ',') {
                d->p++;
                jd_skip_ws(d);
            } else if (d->p < d->end && *d->p == ']') {
                d->p++;
                break;
            } else {
                return jd_fail(d, d->p, "expected ',' or ']' in an array");
            }
        }
    }
    if (!tbl)
        tbl = make_array(L, first, n, n);
    lua_pushvalue(L, d->mt_idx);
    lua_setmetatable(L, tbl);
    d->depth--;
    return 0;
}

static int literal(jd *d, const char *word, size_t n)
{
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
        return jd_fail(d, d->p, "invalid literal");
    d->p += n;
    return 0;
}

/* pushes the value at d->p: 0, or 1 for a null, or -1 on an error */
static int parse_value(jd *d, int flags)
{
    if (d->p >= d->end)
        return jd_fail(d, d->p, "unexpected end of input");
    switch (*d->p) {
    case '{': return parse_object(d, flags);
    case '[': return parse_array(d);
    case '"': return jd_string(d);
    case 't':
        if (literal(d, "true", 4) < 0) return -1;
        lua_pushboolean(d->L, 1);
        return 0;
    case 'f':
        if (literal(d, "false", 5) < 0) return -1;
        lua_pushboolean(d->L, 0);
        return 0;
    case 'n':
        if (literal(d, "null", 4) < 0) return -1;
        lua_pushlightuserdata(d->L, NULL);
        return 1;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return jd_number(d);
    default:
        return jd_fail(d, d->p, "unexpected character");
    }
}

/* json_decode(text [, order [, share]]) -> value [, keys] | nil, message */
static int l_json_decode(lua_State *L)
{
    jd d;
    size_t len;
    int rc, base, share;
    luaL_checktype(L, 1, LUA_TSTRING);
    memset(&d, 0, sizeof d);
    d.L = L;
    d.start = d.p = lua_tolstring(L, 1, &len);
    d.end = d.start + len;
    switch (lua_type(L, 2)) {
    case LUA_TNONE: case LUA_TNIL: d.mode = JD_PLAIN; break;
    case LUA_TSTRING: d.mode = JD_FIELD; d.field = lua_tolstring(L, 2, &d.field_len); break;
    case LUA_TTABLE: d.mode = JD_TABLE; break;
    default: return luaL_argerror(L, 2, "string or table expected");
    }
    share = lua_toboolean(L, 3);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    d.mt_idx = 3;
    lua_pushnil(L);
    d.scratch_idx = 4;
    lua_pushnil(L);         /* JD_FIELD: the keys found */
    d.order_idx = d.mode == JD_TABLE ? 2 : 5;
    if (share) {
        lua_newtable(L);    /* text key -> the leaf's table */
        lua_newtable(L);    /* text key -> where its text is */
        d.intern_idx = 6;
    } else {
        lua_pushnil(L);
        lua_pushnil(L);
    }
    base = 7;
    d.decpoint = localeconv()->decimal_point[0];
    jd_skip_ws(&d);
    rc = parse_value(&d, d.mode == JD_TABLE ? JD_REC | JD_KIDS : d.mode == JD_FIELD ? JD_KIDS : 0);
    if (rc >= 0) {
        jd_skip_ws(&d);
        if (d.p < d.end)
            rc = jd_fail(&d, d.p, "unexpected text after the JSON value");
    }
    if (rc < 0) {
        char msg[128];
        lua_settop(L, base);
        lua_pushnil(L);
        snprintf(msg, sizeof msg, "%s at byte offset %lu", d.err,
                 (unsigned long)(d.err_at - d.start));
        lua_pushstring(L, msg);
        return 2;
    }
    if (d.mode == JD_FIELD) {
        lua_pushvalue(L, 5);
        return 2;
    }
    return 1;
}

void mc_json_open(lua_State *L)
{
    luaL_newmetatable(L, JD_ARRAY_MT);
    lua_pushliteral(L, JD_ARRAY_MT);    /* Lua 5.1's luaL_newmetatable sets no __name */
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "json_array_mt");
    lua_pushcclosure(L, l_json_decode, 1);
    lua_setfield(L, -2, "json_decode");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "json_null");
}
