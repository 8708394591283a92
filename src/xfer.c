/*
 * xfer.c - phase 2 of a request: apply a checked request (reqcheck.c) to a
 * transfer slot owned by a userdata (session or multi), storing every
 * resource in the slot at once. Nothing here raises: failures before the
 * transfer can start (memory, an unreadable upload) are kept in x->early
 * and reported with the result.
 *
 * Two promises are kept here, during the transfer:
 *  - a request is sent at most once per call (libcurl's silent resend on a
 *    dead keep-alive connection is stopped, see on_prereq);
 *  - an answer held in memory never grows past max_bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcore.h"

/* would n more bytes pass the cap on what one answer may hold in memory?
   Answers are held whole, so a runaway or hostile server must not be able
   to make the process grow without bound. */
static int over_limit(mc_xfer *x, size_t n)
{
    if (x->max_bytes == 0 || x->head.len + x->body.len + n <= x->max_bytes)
        return 0;
    x->too_large = 1;
    return 1;
}

#if MC_HAVE_PREREQ
/*
 * libcurl calls this right before it sends the request on a connection.
 * A second call in one transfer is libcurl resending on its own: the
 * request went out on a reused keep-alive connection that closed before
 * any answer, and the server may have acted on it already. Whether to
 * send again is the caller's decision (a POST must not be repeated), so
 * the transfer stops here and reports that the request went out.
 */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    mc_xfer *x = (mc_xfer *)ud;
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (x->sends++ > 0)
        return CURL_PREREQFUNC_ABORT;
    return CURL_PREREQFUNC_OK;
}
#endif

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    mc_xfer *x = (mc_xfer *)ud;
    size_t n = size * nmemb;
    /* a status line starts a new response: keep only the final one's headers
       (after 100-continue and other 1xx, or a proxy's CONNECT answer) */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        x->head.len = 0;
    if (over_limit(x, n))
        return 0;
    if (mc_buf_add(&x->head, p, n) != 0) {
        x->oom = 1;
        return 0;
    }
    return n;
}

/* with `output`, only a 2xx body goes to the file; an error answer stays
   in memory, where the caller can read what went wrong */
int mc_xfer_body_to_file(mc_xfer *x)
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
    if (mc_xfer_body_to_file(x)) {
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
    if (over_limit(x, n))
        return 0;
    if (mc_buf_add(&x->body, p, n) != 0) {
        x->oom = 1;
        return 0;
    }
    return n;
}

int mc_xfer_early(mc_xfer *x, const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->early, sizeof x->early, fmt, ap);
    va_end(ap);
    x->early_kind = kind;
    return -1;
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

int mc_xfer_add_header(mc_xfer *x, const char *line)
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
        return mc_xfer_early(x, "memory", "out of memory");
    for (i = 1; i <= r->nparts; i++) {
        int t, top = lua_gettop(L);
        CURLcode rc = CURLE_OK;
        size_t dl;
        const char *s;
        curl_mimepart *p = curl_mime_addpart(x->mime);
        if (p == NULL)
            return mc_xfer_early(x, "memory", "out of memory");
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
                mc_xfer_early(x, "file", "cannot read upload file '%s'", s);
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
            return mc_xfer_early(x, mc_kind_of(rc), "multipart: %s", curl_easy_strerror(rc));
    }
    return 0;
}

/* is a header name "Host", in any case? */
static int is_host(const char *name)
{
    return name != NULL && strcasecmp(name, "Host") == 0;
}

/* set opt when every option before it was set: one check of rc at the end */
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(x->easy, opt, val); } while (0)

/* a curl option that could not be set: the transfer fails before it starts */
static int option_failed(mc_xfer *x, CURLcode rc)
{
    return mc_xfer_early(x, mc_kind_of(rc), "%s", curl_easy_strerror(rc));
}

/* what every request sets alike: where errors go, the shared caches, the
   URL and what libcurl may do on its own, the callbacks of this file */
static CURLcode set_transfer_options(lua_State *L, mc_xfer *x, const mc_req *r)
{
    CURLcode rc = CURLE_OK;
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    /* connections, DNS and TLS sessions shared by every handle (share.c);
       never cookies: no COOKIEFILE, COOKIEJAR or COOKIELIST is set anywhere,
       so libcurl's cookie engine stays off and a Set-Cookie is never sent
       back (Mautic 7's /api/v2 session cookie would log the next request in
       as the Basic user; spec/api_v2_spec.lua checks it at the fake) */
    SET(CURLOPT_SHARE, mc_share(L));
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
    return rc;
}

/* which connection a request may use (at most one send on it, or one of its
   own) and how long it may take */
static CURLcode set_connection_options(mc_xfer *x, const mc_req *r)
{
    CURLcode rc = CURLE_OK;
#if MC_HAVE_PREREQ
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, (void *)x);
#else
    /* without the pre-request hook libcurl's own resend cannot be seen, so
       a request that may write gets a connection of its own (never a
       reused one, the only kind libcurl resends on) */
    if (r->method != MC_GET && r->method != MC_HEAD)
        SET(CURLOPT_FRESH_CONNECT, 1L);
#endif
    if (r->timeout_ms > 0)
        SET(CURLOPT_TIMEOUT_MS, r->timeout_ms);
    if (r->connect_timeout_ms > 0)
        SET(CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
    if (r->fresh) {
        /* neither take a cached connection nor leave this one behind */
        SET(CURLOPT_FRESH_CONNECT, 1L);
        SET(CURLOPT_FORBID_REUSE, 1L);
    }
    return rc;
}

/* the request's headers into x->hdrs (owned by x; each line is freed here
   once curl has copied it); *has_host: one of them is Host */
static int add_request_headers(lua_State *L, mc_xfer *x, const mc_req *r, int *has_host)
{
    /* no "Expect: 100-continue" round trip */
    if (mc_xfer_add_header(x, "Expect:") != 0)
        return mc_xfer_early(x, "memory", "out of memory");
    if (!r->headers)
        return 0;
    lua_pushnil(L);
    while (lua_next(L, r->headers)) {
        char *line = header_line(L);
        int bad = line == NULL || mc_xfer_add_header(x, line) != 0;
        *has_host = *has_host || is_host(lua_tostring(L, -2));
        free(line);
        lua_pop(L, 1);
        if (bad) {
            lua_pop(L, 1);
            return mc_xfer_early(x, "memory", "out of memory");
        }
    }
    return 0;
}

/* the method, and the body that goes with it: the request's bytes, its
   multipart tree (x->mime), or an empty body where one is expected */
static CURLcode set_method_and_body(mc_xfer *x, const mc_req *r)
{
    CURLcode rc = CURLE_OK;
    switch (r->method) {
    case MC_GET:
        SET(CURLOPT_HTTPGET, 1L);
        break;
    case MC_HEAD:
        SET(CURLOPT_NOBODY, 1L);
        break;
    default:
        if (r->method != MC_POST)
            SET(CURLOPT_CUSTOMREQUEST, mc_method_names[r->method]);
        if (r->parts) {
            SET(CURLOPT_MIMEPOST, x->mime);
        } else if (r->has_body || r->method != MC_DELETE) {
            /* size first: COPYPOSTFIELDS copies that many bytes (NULs too) */
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->has_body ? r->body_len : 0));
            SET(CURLOPT_COPYPOSTFIELDS, r->has_body ? r->body : "");
        }
        break;
    }
    return rc;
}
#undef SET

/* `output`: where a 2xx body goes (x->out_path) and the file it is written
   to first (x->out_part); both owned by x, freed by free_request_state */
static int set_output(mc_xfer *x, const mc_req *r)
{
    size_t len;
    if (r->output == NULL)
        return 0;
    len = strlen(r->output);
    x->out_path = (char *)malloc(len + 1);
    x->out_part = (char *)malloc(len + sizeof(".part"));
    if (x->out_path == NULL || x->out_part == NULL)
        return mc_xfer_early(x, "memory", "out of memory");
    memcpy(x->out_path, r->output, len + 1);
    memcpy(x->out_part, r->output, len);
    memcpy(x->out_part + len, ".part", sizeof(".part"));
    return 0;
}

/* every resource it takes is stored in x at once (x's owner frees it on
   any path); 0, or -1 with x->early set */
int mc_xfer_prepare(lua_State *L, mc_xfer *x, const mc_req *r)
{
    CURLcode rc;
    int has_host = 0;

    mc_xfer_release(x);
    if (x->easy == NULL) {
        x->easy = curl_easy_init();
        if (x->easy == NULL)
            return mc_xfer_early(x, "memory", "cannot create a curl handle");
    }
    x->max_bytes = r->max_bytes;

    rc = set_transfer_options(L, x, r);
    if (rc == CURLE_OK)
        rc = set_connection_options(x, r);
    if (rc != CURLE_OK)
        return option_failed(x, rc);

    if (add_request_headers(L, x, r, &has_host) != 0)
        return -1;
    /* TLS and proxy: after the headers (tls.server_name adds a Host) */
    if (mc_trust_apply(x, r, has_host) != 0)
        return -1;
    rc = curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);

    if (r->parts && apply_parts(L, x, r) != 0)
        return -1;
    if (rc == CURLE_OK)
        rc = set_method_and_body(x, r);
    if (rc != CURLE_OK)
        return option_failed(x, rc);

    if (set_output(x, r) != 0)
        return -1;
    x->errbuf[0] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ */
/* lifetime                                                            */

/* memory of the header and body buffers kept from one answer to the next */
#define KEEP_BUFFER_BYTES (64 * 1024)

/* what curl's options point to: free only once the handle no longer
   refers to it (after curl_easy_reset or curl_easy_cleanup) */
static void free_curl_referenced(mc_xfer *x)
{
    if (x->hdrs != NULL) {
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
    }
    if (x->connect_to != NULL) {
        curl_slist_free_all(x->connect_to);
        x->connect_to = NULL;
    }
    if (x->mime != NULL) {
        curl_mime_free(x->mime);
        x->mime = NULL;
    }
}

/* the rest of one request's state; keep: how much buffer memory may stay
   for the next request */
static void free_request_state(mc_xfer *x, size_t keep)
{
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
    mc_buf_clear(&x->head, keep);
    mc_buf_clear(&x->body, keep);
    x->oom = 0;
    x->out_err = 0;
    x->too_large = 0;
    x->sends = 0;
    x->max_bytes = 0;
    x->early_kind = NULL;
    x->early[0] = '\0';
    x->errbuf[0] = '\0';
    x->result = CURLE_OK;
}

/* the answer was handed to Lua: drop it. The options (and the header list
   they point to) stay until the next prepare resets the handle, so a
   handle is reset once per request, not twice. A multipart body may hold
   an upload file open: that one is let go at once. */
void mc_xfer_finish(mc_xfer *x)
{
    if (x->mime != NULL) {
        mc_xfer_release(x);
        return;
    }
    free_request_state(x, KEEP_BUFFER_BYTES);
}

/* forget the last request; keep the handle and its live connections */
void mc_xfer_release(mc_xfer *x)
{
    if (x->easy != NULL)
        curl_easy_reset(x->easy); /* drops references to hdrs and mime */
    free_curl_referenced(x);
    free_request_state(x, KEEP_BUFFER_BYTES);
}

void mc_xfer_destroy(mc_xfer *x)
{
    if (x->easy != NULL) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    free_curl_referenced(x);
    free_request_state(x, 0);
}
