/*
 * reqcheck.c - phase 1 of a request: read and validate the whole request
 * table, raising usage errors (luaL_argerror) before anything is allocated,
 * so that a raise can never leak a resource. Strings stay anchored on the
 * Lua stack until the caller returns.
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "mcore.h"


static int abs_index(lua_State *L, int idx)
{
    return (idx > 0 || idx <= LUA_REGISTRYINDEX) ? idx : lua_gettop(L) + idx + 1;
}

static int req_error(lua_State *L, int arg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* characters never allowed: NUL always, CR/LF unless binary */
static int has_ctl(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

static int bad_header_name(const char *s, size_t n)
{
    size_t i;
    if (n == 0)
        return 1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == ':')
            return 1;
    }
    return 0;
}

/* optional string field of the table at t; left on the stack (anchored) */
static const char *opt_string(lua_State *L, int arg, int t, const char *field,
                              const char *what, size_t *len, int allow_ctl)
{
    size_t n;
    const char *s;
    lua_getfield(L, t, field);
    if (lua_isnil(L, -1))
        return NULL;
    if (lua_type(L, -1) != LUA_TSTRING)
        req_error(L, arg, "%s must be a string", what);
    s = lua_tolstring(L, -1, &n);
    if (!allow_ctl && has_ctl(s, n))
        req_error(L, arg, "%s contains CR, LF or NUL", what);
    if (len)
        *len = n;
    return s;
}

static long opt_ms(lua_State *L, int arg, int t, const char *field)
{
    lua_Number v;
    long ms;
    lua_getfield(L, t, field);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_type(L, -1) != LUA_TNUMBER)
        req_error(L, arg, "%s must be a number of seconds", field);
    v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(v >= 0))
        req_error(L, arg, "%s must be >= 0", field);
    if (v == 0)
        return 0;
    v *= 1000.0;
    if (v > 2147483647.0)
        return 2147483647L; /* ~24 days: as good as none */
    ms = (long)v;
    return (lua_Number)ms < v ? ms + 1 : ms; /* round up: never 0 */
}

/* a byte count: absent or 0 means no limit */
static size_t opt_bytes(lua_State *L, int arg, int t, const char *field)
{
    lua_Number v;
    lua_getfield(L, t, field);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_type(L, -1) != LUA_TNUMBER)
        req_error(L, arg, "%s must be a number of bytes", field);
    v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(v >= 0))
        req_error(L, arg, "%s must be >= 0", field);
    if (v >= 9007199254740992.0) /* 2^53: as good as no limit */
        return 0;
    return (size_t)v;
}

const char *const mc_method_names[] = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", NULL
};

static int ascii_casecmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
            return 1;
        a++;
        b++;
    }
    return *a != *b;
}

static void check_headers(lua_State *L, int arg, int h)
{
    lua_pushnil(L);
    while (lua_next(L, h)) {
        size_t nl, vl;
        const char *name;
        int vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING)
            req_error(L, arg, "header names must be strings");
        name = lua_tolstring(L, -2, &nl);
        if (bad_header_name(name, nl))
            req_error(L, arg, "invalid header name (empty, or has ':', space, CR, LF or NUL)");
        if (vt == LUA_TSTRING) {
            const char *v = lua_tolstring(L, -1, &vl);
            if (has_ctl(v, vl))
                req_error(L, arg, "value of header '%s' contains CR, LF or NUL", name);
        } else if (vt != LUA_TNUMBER) {
            req_error(L, arg, "value of header '%s' must be a string or a number", name);
        }
        lua_pop(L, 1);
    }
}

/* parts[i][field] of the part table at t, pushed (anchored): 1 when it is
   a string, 0 when nil; anything else raises */
static int part_field(lua_State *L, int arg, int t, int i, const char *field)
{
    lua_pushstring(L, field);
    lua_rawget(L, t);
    if (lua_isnil(L, -1))
        return 0;
    if (lua_type(L, -1) != LUA_TSTRING)
        req_error(L, arg, "parts[%d].%s must be a string", i, field);
    return 1;
}

/* does the string at -1 hold CR, LF or NUL, or nothing when it must not? */
static int bad_part_text(lua_State *L, int nonempty)
{
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    return (nonempty && n == 0) || has_ctl(s, n);
}

/* part i, the table at t: its fields are left on the stack above t */
static void check_part(lua_State *L, int arg, int t, int i)
{
    int has_data, has_file;
    if (!part_field(L, arg, t, i, "name"))
        req_error(L, arg, "parts[%d].name must be a string", i);
    if (bad_part_text(L, 1))
        req_error(L, arg, "parts[%d].name is empty or contains CR, LF or NUL", i);
    has_data = part_field(L, arg, t, i, "data");
    has_file = part_field(L, arg, t, i, "file");
    if (has_file && bad_part_text(L, 1))
        req_error(L, arg, "parts[%d].file is empty or contains CR, LF or NUL", i);
    if (has_data == has_file)
        req_error(L, arg, "parts[%d] needs exactly one of data or file", i);
    if (part_field(L, arg, t, i, "filename") && bad_part_text(L, 0))
        req_error(L, arg, "parts[%d].filename contains CR, LF or NUL", i);
    if (part_field(L, arg, t, i, "content_type") && bad_part_text(L, 0))
        req_error(L, arg, "parts[%d].content_type contains CR, LF or NUL", i);
}

static size_t check_parts(lua_State *L, int arg, int p)
{
    size_t n = lua_rawlen(L, p), i;
    if (n == 0)
        req_error(L, arg, "parts must be a non-empty array");
    for (i = 1; i <= n; i++) {
        int t;
        lua_rawgeti(L, p, (int)i);
        t = lua_gettop(L);
        if (!lua_istable(L, t))
            req_error(L, arg, "parts[%d] must be a table", (int)i);
        check_part(L, arg, t, (int)i);
        lua_settop(L, t - 1);
    }
    return n;
}

/* the settings of `tls` (lua/mautic/transport/security.lua checks the same
   for the transports over cosockets). An unknown key is an error, not
   ignored: a misspelt `verfy = false` or a setting this core does not have
   must not leave the request with defaults the caller did not ask for. */
static const char *const tls_keys[] = {
    "verify", "ca_file", "server_name", "cert_file", "key_file", NULL
};

static const char *tls_path(lua_State *L, int arg, int t, const char *field, const char *what)
{
    size_t n;
    const char *s = opt_string(L, arg, t, field, what, &n, 0);
    if (s != NULL && n == 0)
        req_error(L, arg, "%s must not be empty", what);
    return s;
}

static void check_tls(lua_State *L, int arg, int t, mc_req *r)
{
    const char *s;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        int i = 0;
        if (lua_type(L, -2) == LUA_TSTRING)
            for (i = 0; tls_keys[i] != NULL; i++)
                if (strcmp(lua_tostring(L, -2), tls_keys[i]) == 0)
                    break;
        if (lua_type(L, -2) != LUA_TSTRING)
            req_error(L, arg, "tls keys must be strings");
        if (tls_keys[i] == NULL)
            req_error(L, arg, "unknown tls option '%s' (known: ca_file, cert_file, key_file, server_name, verify)",
                      lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    lua_getfield(L, t, "verify");
    if (!lua_isnil(L, -1)) {
        if (!lua_isboolean(L, -1))
            req_error(L, arg, "tls.verify must be a boolean");
        r->verify = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    r->ca_file = tls_path(L, arg, t, "ca_file", "tls.ca_file");
    r->cert_file = tls_path(L, arg, t, "cert_file", "tls.cert_file");
    r->key_file = tls_path(L, arg, t, "key_file", "tls.key_file");
    if (r->key_file != NULL && r->cert_file == NULL)
        req_error(L, arg, "tls.key_file needs tls.cert_file");
    s = tls_path(L, arg, t, "server_name", "tls.server_name");
    if (s != NULL) {
        /* a host name: it goes into the URL and a CONNECT_TO entry */
        const char *p;
        for (p = s; *p; p++)
            if (!isalnum((unsigned char)*p) && !(p > s && (*p == '.' || *p == '-')))
                req_error(L, arg, "tls.server_name must be a host name (letters, digits, '.' and '-')");
        r->server_name = s;
    }
}

/* `method`, case-insensitive; GET when absent */
static int check_method(lua_State *L, int idx)
{
    int i;
    const char *s = opt_string(L, idx, idx, "method", "method", NULL, 0);
    if (s == NULL)
        return MC_GET;
    for (i = 0; mc_method_names[i] != NULL; i++)
        if (ascii_casecmp(s, mc_method_names[i]) == 0)
            return i;
    return req_error(L, idx, "unsupported method '%s'", s);
}

/* the table in `field`, left on the stack: its index, or 0 when absent */
static inline int opt_table(lua_State *L, int idx, const char *field, const char *msg)
{
    lua_getfield(L, idx, field);
    if (lua_isnil(L, -1))
        return 0;
    if (!lua_istable(L, -1))
        req_error(L, idx, "%s", msg);
    return lua_gettop(L);
}

/* what is sent after the headers: `body` or `parts`, not both, not on GET or HEAD */
static void check_payload(lua_State *L, int idx, mc_req *r)
{
    r->body = opt_string(L, idx, idx, "body", "body", &r->body_len, 1);
    r->has_body = r->body != NULL;
    r->parts = opt_table(L, idx, "parts", "parts must be an array of tables");
    if (r->parts)
        r->nparts = check_parts(L, idx, r->parts);
    if (r->has_body && r->parts)
        req_error(L, idx, "body and parts are mutually exclusive");
    if ((r->has_body || r->parts) && (r->method == MC_GET || r->method == MC_HEAD))
        req_error(L, idx, "a %s request cannot have a body", mc_method_names[r->method]);
}

/* how the request travels: timeouts, tls, proxy, answer size, connection */
static void check_transport(lua_State *L, int idx, mc_req *r)
{
    int t;
    r->timeout_ms = opt_ms(L, idx, idx, "timeout");
    r->connect_timeout_ms = opt_ms(L, idx, idx, "connect_timeout");
    t = opt_table(L, idx, "tls", "tls must be a table");
    if (t)
        check_tls(L, idx, t, r);
    r->proxy = opt_string(L, idx, idx, "proxy", "proxy", NULL, 0);
    r->max_bytes = opt_bytes(L, idx, idx, "max_bytes");
    lua_getfield(L, idx, "fresh");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        req_error(L, idx, "fresh must be a boolean");
    r->fresh = lua_toboolean(L, -1);
    lua_pop(L, 1);
}

void mc_req_check(lua_State *L, int idx, mc_req *r)
{
    idx = abs_index(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    luaL_checkstack(L, 24, "request too deep");
    memset(r, 0, sizeof *r);
    r->verify = 1;
    r->method = check_method(L, idx);

    r->url = opt_string(L, idx, idx, "url", "url", NULL, 0);
    if (r->url == NULL || r->url[0] == '\0')
        req_error(L, idx, "url is required");

    r->headers = opt_table(L, idx, "headers", "headers must be a table");
    if (r->headers)
        check_headers(L, idx, r->headers);
    check_payload(L, idx, r);

    r->output = opt_string(L, idx, idx, "output", "output", NULL, 0);
    if (r->output != NULL && r->output[0] == '\0')
        req_error(L, idx, "output must be a file path");
    check_transport(L, idx, r);
}
