/*
 * request.c - what session.c and multi.c share: checking a request table,
 * applying it to a curl easy handle, collecting and pushing the response.
 *
 * Two phases keep errors leak-free:
 *   mc_req_check   reads and validates the whole table, raising usage errors
 *                  before anything is allocated;
 *   mc_xfer_prepare applies it to an mc_xfer owned by a userdata, storing every
 *                  resource there at once; it never raises on its own and
 *                  reports failures (memory, unreadable file) in x->early.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mcore.h"

/* ------------------------------------------------------------------ */
/* buffers                                                             */

static int buf_add(mc_buf *b, const char *p, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        char *d;
        while (cap - b->len < n) {
            if (cap > ((size_t)-1) / 2)
                return -1;
            cap *= 2;
        }
        d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_free(mc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* phase 1: check                                                      */

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

static const char *const method_names[] = {
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

static size_t check_parts(lua_State *L, int arg, int p)
{
    size_t n = lua_rawlen(L, p), i;
    if (n == 0)
        req_error(L, arg, "parts must be a non-empty array");
    for (i = 1; i <= n; i++) {
        int t, has_data, has_file;
        lua_rawgeti(L, p, (int)i);
        t = lua_gettop(L);
        if (!lua_istable(L, t))
            req_error(L, arg, "parts[%d] must be a table", (int)i);
        lua_pushliteral(L, "name");
        lua_rawget(L, t);
        if (lua_type(L, -1) != LUA_TSTRING)
            req_error(L, arg, "parts[%d].name must be a string", (int)i);
        {
            size_t nl;
            const char *s = lua_tolstring(L, -1, &nl);
            if (nl == 0 || has_ctl(s, nl))
                req_error(L, arg, "parts[%d].name is empty or contains CR, LF or NUL", (int)i);
        }
        lua_pushliteral(L, "data");
        lua_rawget(L, t);
        has_data = !lua_isnil(L, -1);
        if (has_data && lua_type(L, -1) != LUA_TSTRING)
            req_error(L, arg, "parts[%d].data must be a string", (int)i);
        lua_pushliteral(L, "file");
        lua_rawget(L, t);
        has_file = !lua_isnil(L, -1);
        if (has_file) {
            size_t fl;
            const char *s;
            if (lua_type(L, -1) != LUA_TSTRING)
                req_error(L, arg, "parts[%d].file must be a string", (int)i);
            s = lua_tolstring(L, -1, &fl);
            if (fl == 0 || has_ctl(s, fl))
                req_error(L, arg, "parts[%d].file is empty or contains CR, LF or NUL", (int)i);
        }
        if (has_data == has_file)
            req_error(L, arg, "parts[%d] needs exactly one of data or file", (int)i);
        lua_pushliteral(L, "filename");
        lua_rawget(L, t);
        lua_pushliteral(L, "content_type");
        lua_rawget(L, t);
        {
            int k;
            for (k = -2; k <= -1; k++) {
                size_t sl;
                const char *s;
                if (lua_isnil(L, k))
                    continue;
                if (lua_type(L, k) != LUA_TSTRING)
                    req_error(L, arg, "parts[%d].%s must be a string", (int)i,
                              k == -2 ? "filename" : "content_type");
                s = lua_tolstring(L, k, &sl);
                if (has_ctl(s, sl))
                    req_error(L, arg, "parts[%d].%s contains CR, LF or NUL", (int)i,
                              k == -2 ? "filename" : "content_type");
            }
        }
        lua_settop(L, t - 1);
    }
    return n;
}

void mc_req_check(lua_State *L, int idx, mc_req *r)
{
    int t;
    const char *s;
    idx = abs_index(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    luaL_checkstack(L, 24, "request too deep");
    memset(r, 0, sizeof *r);
    r->verify = 1;
    r->method = MC_GET;

    s = opt_string(L, idx, idx, "method", "method", NULL, 0);
    if (s != NULL) {
        int i;
        for (i = 0; method_names[i] != NULL; i++)
            if (ascii_casecmp(s, method_names[i]) == 0)
                break;
        if (method_names[i] == NULL)
            req_error(L, idx, "unsupported method '%s'", s);
        r->method = i;
    }

    r->url = opt_string(L, idx, idx, "url", "url", NULL, 0);
    if (r->url == NULL || r->url[0] == '\0')
        req_error(L, idx, "url is required");

    lua_getfield(L, idx, "headers");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            req_error(L, idx, "headers must be a table");
        r->headers = lua_gettop(L);
        check_headers(L, idx, r->headers);
    }

    r->body = opt_string(L, idx, idx, "body", "body", &r->body_len, 1);
    r->has_body = r->body != NULL;

    lua_getfield(L, idx, "parts");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            req_error(L, idx, "parts must be an array of tables");
        r->parts = lua_gettop(L);
        r->nparts = check_parts(L, idx, r->parts);
    }
    if (r->has_body && r->parts)
        req_error(L, idx, "body and parts are mutually exclusive");
    if ((r->has_body || r->parts) && (r->method == MC_GET || r->method == MC_HEAD))
        req_error(L, idx, "a %s request cannot have a body", method_names[r->method]);

    r->output = opt_string(L, idx, idx, "output", "output", NULL, 0);
    if (r->output != NULL && r->output[0] == '\0')
        req_error(L, idx, "output must be a file path");

    r->timeout_ms = opt_ms(L, idx, idx, "timeout");
    r->connect_timeout_ms = opt_ms(L, idx, idx, "connect_timeout");

    lua_getfield(L, idx, "tls");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1))
            req_error(L, idx, "tls must be a table");
        t = lua_gettop(L);
        lua_getfield(L, t, "verify");
        if (!lua_isnil(L, -1)) {
            if (!lua_isboolean(L, -1))
                req_error(L, idx, "tls.verify must be a boolean");
            r->verify = lua_toboolean(L, -1);
        }
        lua_pop(L, 1);
        r->ca_file = opt_string(L, idx, t, "ca_file", "tls.ca_file", NULL, 0);
    }

    r->proxy = opt_string(L, idx, idx, "proxy", "proxy", NULL, 0);
}

/* ------------------------------------------------------------------ */
/* phase 2: apply to an easy handle                                    */

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    mc_xfer *x = (mc_xfer *)ud;
    size_t n = size * nmemb;
    /* a status line starts a new response: keep only the final one's headers
       (after 100-continue and other 1xx, or a proxy's CONNECT answer) */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        x->head.len = 0;
    if (buf_add(&x->head, p, n) != 0) {
        x->oom = 1;
        return 0;
    }
    return n;
}

/* with `output`, only a 2xx body goes to the file; an error answer stays
   in memory, where the caller can read what went wrong */
static int body_to_file(mc_xfer *x)
{
    long status = 0;
    if (x->out_part == NULL)
        return 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    mc_xfer *x = (mc_xfer *)ud;
    size_t n = size * nmemb;
    if (body_to_file(x)) {
        if (x->out == NULL && (x->out = fopen(x->out_part, "wb")) == NULL) {
            x->out_err = errno ? errno : EIO;
            return 0;
        }
        if (fwrite(p, 1, n, x->out) != n) {
            x->out_err = errno ? errno : EIO;
            return 0;
        }
        return n;
    }
    if (buf_add(&x->body, p, n) != 0) {
        x->oom = 1;
        return 0;
    }
    return n;
}

static int early(mc_xfer *x, const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->early, sizeof x->early, fmt, ap);
    va_end(ap);
    x->early_kind = kind;
    return -1;
}

static const char *kind_of(CURLcode c)
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

/* "Name: value" for the header at (-2, -1); NULL when out of memory */
static char *header_line(lua_State *L)
{
    size_t nl, vl;
    const char *name = lua_tolstring(L, -2, &nl);
    const char *v;
    char num[64];
    char *line;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        lua_Number d = lua_tonumber(L, -1);
        /* format numbers the way tostring() does for integral values */
        if (d > -1e15 && d < 1e15 && d == (lua_Number)(long long)d)
            snprintf(num, sizeof num, "%.0f", (double)d);
        else
            snprintf(num, sizeof num, "%.14g", (double)d);
        v = num;
        vl = strlen(num);
    } else {
        v = lua_tolstring(L, -1, &vl);
    }
    line = malloc(nl + vl + 3);
    if (line == NULL)
        return NULL;
    memcpy(line, name, nl);
    if (vl == 0) {
        /* "Name;" is curl's way to send a header with an empty value */
        line[nl] = ';';
        line[nl + 1] = '\0';
    } else {
        line[nl] = ':';
        line[nl + 1] = ' ';
        memcpy(line + nl + 2, v, vl);
        line[nl + 2 + vl] = '\0';
    }
    return line;
}

static int add_header(mc_xfer *x, const char *line)
{
    struct curl_slist *l = curl_slist_append(x->hdrs, line);
    if (l == NULL)
        return -1;
    x->hdrs = l;
    return 0;
}

static int apply_parts(lua_State *L, mc_xfer *x, const mc_req *r)
{
    size_t i;
    x->mime = curl_mime_init(x->easy);
    if (x->mime == NULL)
        return early(x, "memory", "out of memory");
    for (i = 1; i <= r->nparts; i++) {
        int t, top = lua_gettop(L);
        CURLcode rc = CURLE_OK;
        size_t dl;
        const char *s;
        curl_mimepart *p = curl_mime_addpart(x->mime);
        if (p == NULL)
            return early(x, "memory", "out of memory");
        lua_rawgeti(L, r->parts, (int)i);
        t = lua_gettop(L);
        lua_pushliteral(L, "name");
        lua_rawget(L, t);
        rc = curl_mime_name(p, lua_tostring(L, -1));
        lua_pushliteral(L, "data");
        lua_rawget(L, t);
        if (rc == CURLE_OK && !lua_isnil(L, -1)) {
            s = lua_tolstring(L, -1, &dl);
            rc = curl_mime_data(p, s, dl);
        }
        lua_pushliteral(L, "file");
        lua_rawget(L, t);
        if (rc == CURLE_OK && !lua_isnil(L, -1)) {
            s = lua_tostring(L, -1);
            rc = curl_mime_filedata(p, s);
            if (rc == CURLE_READ_ERROR) {
                early(x, "file", "cannot read upload file '%s'", s);
                lua_settop(L, top);
                return -1;
            }
        }
        lua_pushliteral(L, "filename");
        lua_rawget(L, t);
        if (rc == CURLE_OK && !lua_isnil(L, -1))
            rc = curl_mime_filename(p, lua_tostring(L, -1));
        lua_pushliteral(L, "content_type");
        lua_rawget(L, t);
        if (rc == CURLE_OK && !lua_isnil(L, -1))
            rc = curl_mime_type(p, lua_tostring(L, -1));
        lua_settop(L, top);
        if (rc != CURLE_OK)
            return early(x, kind_of(rc), "multipart: %s", curl_easy_strerror(rc));
    }
    return 0;
}

int mc_xfer_prepare(lua_State *L, mc_xfer *x, const mc_req *r)
{
    CURLcode rc = CURLE_OK;
    CURL *e;

    mc_xfer_release(x);
    if (x->easy == NULL) {
        x->easy = curl_easy_init();
        if (x->easy == NULL)
            return early(x, "memory", "cannot create a curl handle");
    }
    e = x->easy;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_URL, r->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_USERAGENT, MC_USER_AGENT);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)x);
    if (r->timeout_ms > 0)
        SET(CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (r->connect_timeout_ms > 0)
        SET(CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
    if (!r->verify) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->ca_file != NULL)
        SET(CURLOPT_CAINFO, r->ca_file);
    if (r->proxy != NULL)
        SET(CURLOPT_PROXY, r->proxy);
    if (rc != CURLE_OK)
        return early(x, kind_of(rc), "%s", curl_easy_strerror(rc));

    /* headers: no "Expect: 100-continue" round trip */
    if (add_header(x, "Expect:") != 0)
        return early(x, "memory", "out of memory");
    if (r->headers) {
        lua_pushnil(L);
        while (lua_next(L, r->headers)) {
            char *line = header_line(L);
            int bad = line == NULL || add_header(x, line) != 0;
            free(line);
            lua_pop(L, 1);
            if (bad) {
                lua_pop(L, 1);
                return early(x, "memory", "out of memory");
            }
        }
    }
    SET(CURLOPT_HTTPHEADER, x->hdrs);

    if (r->parts && apply_parts(L, x, r) != 0)
        return -1;

    switch (r->method) {
    case MC_GET:
        SET(CURLOPT_HTTPGET, 1L);
        break;
    case MC_HEAD:
        SET(CURLOPT_NOBODY, 1L);
        break;
    default:
        if (r->method != MC_POST)
            SET(CURLOPT_CUSTOMREQUEST, method_names[r->method]);
        if (r->parts) {
            SET(CURLOPT_MIMEPOST, x->mime);
        } else if (r->has_body || r->method != MC_DELETE) {
            /* size first: COPYPOSTFIELDS copies that many bytes (NULs too) */
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->has_body ? r->body_len : 0));
            SET(CURLOPT_COPYPOSTFIELDS, r->has_body ? r->body : "");
        }
        break;
    }
#undef SET
    if (rc != CURLE_OK)
        return early(x, kind_of(rc), "%s", curl_easy_strerror(rc));

    if (r->output != NULL) {
        size_t len = strlen(r->output);
        x->out_path = (char *)malloc(len + 1);
        x->out_part = (char *)malloc(len + sizeof(".part"));
        if (x->out_path == NULL || x->out_part == NULL)
            return early(x, "memory", "out of memory");
        memcpy(x->out_path, r->output, len + 1);
        memcpy(x->out_part, r->output, len);
        memcpy(x->out_part + len, ".part", sizeof(".part"));
    }
    x->errbuf[0] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ */
/* results                                                             */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* push a table of the response headers in x->head (lower-cased names) */
static void push_headers(lua_State *L, mc_xfer *x)
{
    char *p = x->head.data, *end = p + x->head.len;
    const char *last = NULL;
    size_t last_len = 0;
    int t;
    lua_newtable(L);
    t = lua_gettop(L);
    while (p != NULL && p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        char *next = eol ? eol + 1 : end;
        char *le = eol ? eol : end;
        char *colon, *v, *ve, *k;
        while (le > p && is_space(le[-1]))
            le--;
        if (le == p || (le - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
            p = next;
            continue;
        }
        if ((*p == ' ' || *p == '\t') && last != NULL) {
            /* obsolete line folding: continue the previous value */
            v = p;
            while (v < le && is_space(*v))
                v++;
            lua_pushlstring(L, last, last_len);
            lua_pushvalue(L, -1);
            lua_rawget(L, t);
            lua_pushliteral(L, " ");
            lua_pushlstring(L, v, (size_t)(le - v));
            lua_concat(L, 3);
            lua_rawset(L, t);
            p = next;
            continue;
        }
        colon = memchr(p, ':', (size_t)(le - p));
        if (colon == NULL || colon == p) {
            p = next;
            continue;
        }
        ve = colon;
        while (ve > p && is_space(ve[-1]))
            ve--;
        for (k = p; k < ve; k++)
            *k = (char)tolower((unsigned char)*k);
        v = colon + 1;
        while (v < le && is_space(*v))
            v++;
        last = p;
        last_len = (size_t)(ve - p);
        lua_pushlstring(L, p, last_len);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushlstring(L, v, (size_t)(le - v));
        } else {
            lua_pushliteral(L, ", ");
            lua_pushlstring(L, v, (size_t)(le - v));
            lua_concat(L, 3);
        }
        lua_rawset(L, t);
        p = next;
    }
    luaL_getmetatable(L, MC_HEADERS_MT);
    lua_setmetatable(L, t);
}

/*
 * Push status, headers, body (returns 1) or nil, message, kind (returns 0),
 * then release the transfer's resources (connections stay cached).
 */
int mc_xfer_push_result(lua_State *L, mc_xfer *x, CURLcode code)
{
    const char *kind = NULL;
    int ok;
    if (x->out != NULL) {
        if (fclose(x->out) != 0 && x->out_err == 0)
            x->out_err = errno ? errno : EIO;
        x->out = NULL;
    }
    if (x->out_part != NULL && x->early_kind == NULL) {
        /* the file appears whole, or not at all */
        if (code == CURLE_OK && !x->out_err && !x->oom && body_to_file(x)) {
            FILE *f = fopen(x->out_part, "ab");   /* an empty 2xx body still makes a file */
            if (f == NULL || fclose(f) != 0 || rename(x->out_part, x->out_path) != 0)
                x->out_err = errno ? errno : EIO;
        }
        if (x->out_err || code != CURLE_OK || x->oom || !body_to_file(x))
            remove(x->out_part);
    }
    if (x->early_kind != NULL) {
        lua_pushnil(L);
        lua_pushstring(L, x->early);
        lua_pushstring(L, x->early_kind);
        ok = 0;
    } else if (code != CURLE_OK || x->out_err || x->oom) {
        lua_pushnil(L);
        if (x->oom) {
            lua_pushliteral(L, "out of memory");
            kind = "memory";
        } else if (x->out_err) {
            lua_pushfstring(L, "cannot write output file: %s", strerror(x->out_err));
            kind = "file";
        } else {
            lua_pushstring(L, x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
            kind = kind_of(code);
        }
        lua_pushstring(L, kind);
        ok = 0;
    } else {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        lua_pushinteger(L, (lua_Integer)status);
        push_headers(L, x);
        lua_pushlstring(L, x->body.data ? x->body.data : "", x->body.len);
        ok = 1;
    }
    mc_xfer_release(x);
    return ok;
}

/* ------------------------------------------------------------------ */
/* lifetime                                                            */

static void free_resources(mc_xfer *x)
{
    if (x->hdrs != NULL) {
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
    }
    if (x->mime != NULL) {
        curl_mime_free(x->mime);
        x->mime = NULL;
    }
    if (x->out != NULL) {
        fclose(x->out);
        x->out = NULL;
        if (x->out_part != NULL)
            remove(x->out_part);
    }
    free(x->out_path);
    free(x->out_part);
    x->out_path = NULL;
    x->out_part = NULL;
    buf_free(&x->head);
    buf_free(&x->body);
    x->oom = 0;
    x->out_err = 0;
    x->early_kind = NULL;
    x->early[0] = '\0';
    x->errbuf[0] = '\0';
    x->result = CURLE_OK;
}

/* forget the last request; keep the handle and its live connections */
void mc_xfer_release(mc_xfer *x)
{
    if (x->easy != NULL)
        curl_easy_reset(x->easy); /* drops references to hdrs and mime */
    free_resources(x);
}

void mc_xfer_destroy(mc_xfer *x)
{
    if (x->easy != NULL) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    free_resources(x);
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
