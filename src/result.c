/*
 * result.c - what a finished transfer says, pushed for Lua: status,
 * headers (a table with case-insensitive lookup) and body, or a failure
 * with its kind and whether the request may have reached the server.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mcore.h"

const char *mc_kind_of(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
        return "connect";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "resolve";
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_RESOLVE_PROXY:
#if LIBCURL_VERSION_NUM >= 0x074900
    case CURLE_PROXY:
#endif
        return "proxy";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
    case CURLE_SSL_CLIENTCERT:
#endif
        return "tls";
    case CURLE_READ_ERROR:
    case CURLE_FILE_COULDNT_READ_FILE:
        return "file";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
        return "usage";
    case CURLE_OUT_OF_MEMORY:
        return "memory";
    default:
        return "network";
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* lines in p..end: one table slot each (status line included), so filling
   the table never rehashes */
static int count_lines(const char *p, const char *end)
{
    int lines = 0;
    while (p != NULL && p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    return lines;
}

/* t[name] = value, or joined to an earlier value of that name with `sep` */
static inline void set_header(lua_State *L, int t, const char *name, size_t nl,
                              const char *sep, const char *v, size_t vl)
{
    lua_pushlstring(L, name, nl);
    lua_pushvalue(L, -1);
    lua_rawget(L, t);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushlstring(L, v, vl);
    } else {
        lua_pushstring(L, sep);
        lua_pushlstring(L, v, vl);
        lua_concat(L, 3);
    }
    lua_rawset(L, t);
}

/* "Name: value" in p..le: the name lower-cased in place and ending at
   *name_end, the value from *value; 0 when no name comes before a ':' */
static int split_header(char *p, const char *le, char **name_end, const char **value)
{
    char *colon = memchr(p, ':', (size_t)(le - p)), *ne, *k;
    const char *v;
    if (colon == NULL || colon == p)
        return 0;
    for (ne = colon; ne > p && is_space(ne[-1]); ne--)
        ;
    for (k = p; k < ne; k++)
        *k = (char)tolower((unsigned char)*k);
    for (v = colon + 1; v < le && is_space(*v); v++)
        ;
    *name_end = ne;
    *value = v;
    return 1;
}

/* push a table of the response headers in x->head (lower-cased names) */
static void push_headers(lua_State *L, mc_xfer *x)
{
    char *p = x->head.data, *end = p + x->head.len;
    const char *last = NULL;    /* the name of the last header, for folded lines */
    size_t last_len = 0;
    int t;
    lua_createtable(L, 0, count_lines(p, end));
    t = lua_gettop(L);
    while (p != NULL && p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        char *next = eol ? eol + 1 : end, *le = eol ? eol : end, *name_end;
        const char *v;
        while (le > p && is_space(le[-1]))
            le--;
        if (le == p || (le - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
            p = next;       /* a blank line or a status line: no header */
            continue;
        }
        if ((*p == ' ' || *p == '\t') && last != NULL) {
            /* obsolete line folding: continue the previous value */
            for (v = p; v < le && is_space(*v); v++)
                ;
            set_header(L, t, last, last_len, " ", v, (size_t)(le - v));
        } else if (split_header(p, le, &name_end, &v)) {
            last = p;
            last_len = (size_t)(name_end - p);
            set_header(L, t, last, last_len, ", ", v, (size_t)(le - v));
        }
        p = next;
    }
    luaL_getmetatable(L, MC_HEADERS_MT);
    lua_setmetatable(L, t);
}

/* may the request have reached the server? */
static int went_out(const mc_xfer *x, CURLcode code)
{
    if (x->early_kind != NULL)
        return 0;
#if MC_HAVE_PREREQ
    (void)code;
    return x->sends > 0;
#else
    /* no hook to tell: only failures before any connection count as unsent */
    {
        const char *kind = mc_kind_of(code);
        return code != CURLE_UNSUPPORTED_PROTOCOL && strcmp(kind, "connect") != 0 &&
               strcmp(kind, "resolve") != 0 && strcmp(kind, "proxy") != 0 &&
               strcmp(kind, "tls") != 0 && strcmp(kind, "usage") != 0;
    }
#endif
}

/* the message and kind of a failed transfer */
static const char *push_failure(lua_State *L, mc_xfer *x, CURLcode code, int sent)
{
    if (x->early_kind != NULL) {
        lua_pushstring(L, x->early);
        return x->early_kind;
    }
    if (x->oom) {
        lua_pushliteral(L, "out of memory");
        return "memory";
    }
    if (x->too_large) {
        /* named by the client option users set, in whole bytes (the %f of
           lua_pushfstring prints 1048576.0 under Lua 5.3+) */
        char limit[32];
        snprintf(limit, sizeof limit, "%lu", (unsigned long)x->max_bytes);
        lua_pushfstring(L, "the answer is larger than max_response_bytes (%s bytes): not read further", limit);
        return "too_large";
    }
    if (x->out_err) {
        lua_pushfstring(L, "cannot write output file: %s", strerror(x->out_err));
        return "file";
    }
#if MC_HAVE_PREREQ
    if (code == CURLE_ABORTED_BY_CALLBACK && x->sends > 1) {
        lua_pushliteral(L, "the connection closed before any answer; the request was not "
                           "sent again (it may have reached the server)");
        return "network";
    }
#endif
    lua_pushstring(L, x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
    /* after the request went out, "unsupported protocol" means the answer
       was not HTTP (HTTP/0.9 or garbage), not that the URL was wrong */
    if (sent && code == CURLE_UNSUPPORTED_PROTOCOL)
        return "network";
    /* a proxy that refused the tunnel (a 407 without its credentials, a
       403): libcurl says "receive error", but it is the proxy's answer,
       and the cosocket transports say "proxy" too */
    if (!sent) {
        long connect_code = 0;
        if (curl_easy_getinfo(x->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code) == CURLE_OK &&
            connect_code >= 300)
            return "proxy";
    }
    return mc_kind_of(code);
}

/*
 * Push status, headers, body (returns 3) or nil, message, kind, sent
 * (returns 4; sent tells whether the request may have reached the server),
 * then drop the answer (the handle and its connections stay).
 */
int mc_xfer_push_result(lua_State *L, mc_xfer *x, CURLcode code)
{
    int n, failed = x->early_kind != NULL || code != CURLE_OK || x->out_err || x->oom || x->too_large;
    if (x->out != NULL) {
        if (fclose(x->out) != 0 && x->out_err == 0)
            x->out_err = errno ? errno : EIO;
        x->out = NULL;
        failed = failed || x->out_err;
    }
    if (x->out_part != NULL && x->early_kind == NULL) {
        /* the file appears whole, or not at all */
        if (!failed && mc_xfer_body_to_file(x)) {
            FILE *f = fopen(x->out_part, "ab");   /* an empty 2xx body still makes a file */
            if (f == NULL || fclose(f) != 0 || rename(x->out_part, x->out_path) != 0)
                x->out_err = errno ? errno : EIO;
            failed = failed || x->out_err;
        }
        if (failed || !mc_xfer_body_to_file(x))
            remove(x->out_part);
    }
    if (failed) {
        int sent = went_out(x, code);
        lua_pushnil(L);
        lua_pushstring(L, push_failure(L, x, code, sent)); /* message, then kind */
        lua_pushboolean(L, sent);
        n = 4;
    } else {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        lua_pushinteger(L, (lua_Integer)status);
        push_headers(L, x);
        lua_pushlstring(L, x->body.data ? x->body.data : "", x->body.len);
        n = 3;
    }
    mc_xfer_finish(x);
    return n;
}

/* ------------------------------------------------------------------ */
/* headers metatable: case-insensitive lookup                          */

static int headers_index(lua_State *L)
{
    size_t n, i;
    const char *k;
    luaL_Buffer b;
    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }
    k = lua_tolstring(L, 2, &n);
    luaL_buffinit(L, &b);
    for (i = 0; i < n; i++)
        luaL_addchar(&b, (char)tolower((unsigned char)k[i]));
    luaL_pushresult(&b);
    lua_rawget(L, 1);
    return 1;
}

void mc_headers_open(lua_State *L)
{
    luaL_newmetatable(L, MC_HEADERS_MT);
    lua_pushcfunction(L, headers_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
