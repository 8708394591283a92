/*
 * mcore.h - declarations shared by the parts of mautic.core.
 *
 * Ownership rule: every resource a transfer needs (curl easy handle, header
 * list, mime tree, output FILE, response buffers) lives in an mc_xfer that a
 * userdata (session or multi) owns, so a Lua error raised at any point can
 * only leave it for __gc to free, never leak it.
 */
#ifndef MAUTIC_MCORE_H
#define MAUTIC_MCORE_H

#include <stddef.h>
#include <stdio.h>
#include <curl/curl.h>
#include "compat.h"

/* CURLOPT_PREREQFUNCTION (7.80): lets xfer.c see libcurl's own resends */
#define MC_HAVE_PREREQ (LIBCURL_VERSION_NUM >= 0x075000)

#define MC_VERSION "lua-mautic core 0.2.0"
#define MC_USER_AGENT "lua-mautic/0.2.0"

#define MC_SESSION_MT "mautic.core.session"
#define MC_MULTI_MT "mautic.core.multi"
#define MC_HEADERS_MT "mautic.core.headers"

/* growable byte buffer, malloc-owned */
typedef struct mc_buf {
    char *data;
    size_t len;
    size_t cap;
} mc_buf;

enum {
    MC_GET, MC_POST, MC_PUT, MC_PATCH, MC_DELETE, MC_HEAD
};

/*
 * A request table, validated. Every string points into a Lua value that
 * mc_req_check left on the Lua stack, so it stays alive until the caller
 * returns; curl copies what it keeps.
 */
typedef struct mc_req {
    int method;
    const char *url;
    int headers;            /* stack index of the headers table, or 0 */
    const char *body;
    size_t body_len;
    int has_body;
    int parts;              /* stack index of the parts array, or 0 */
    size_t nparts;
    const char *output;     /* path, or NULL */
    long timeout_ms;        /* 0: none */
    long connect_timeout_ms;
    int verify;
    const char *ca_file;
    const char *server_name; /* name sent (SNI) and checked, or NULL: the URL's host */
    const char *cert_file;  /* client certificate (PEM), or NULL */
    const char *key_file;   /* its key, or NULL: in cert_file */
    const char *proxy;      /* NULL: curl's default (environment) */
    size_t max_bytes;       /* largest answer kept in memory; 0: no limit */
    int fresh;              /* a connection of its own, closed after */
} mc_req;

/* One transfer slot: reused request after request. */
typedef struct mc_xfer {
    CURL *easy;
    struct curl_slist *hdrs;
    struct curl_slist *connect_to; /* tls.server_name: that name -> the URL's host */
    curl_mime *mime;
    FILE *out;              /* open while a 2xx body is being written */
    char *out_path;         /* where the body goes (malloc'd copy) */
    char *out_part;         /* out_path + ".part", renamed on success */
    mc_buf head;            /* raw header lines of the last response */
    mc_buf body;
    size_t max_bytes;       /* from mc_req: cap on head + body in memory */
    int oom;                /* a C allocation failed during the transfer */
    int out_err;            /* writing the output file failed */
    int too_large;          /* the answer passed max_bytes: aborted */
    int sends;              /* times libcurl was about to send the request */
    const char *early_kind; /* failed before the transfer could start */
    char early[256];
    char errbuf[CURL_ERROR_SIZE];
    /* used by multi */
    lua_Integer id;
    CURLcode result;
    int in_multi;
    int state;              /* multi.c bookkeeping */
    struct mc_xfer *next;
} mc_xfer;

/* buffer.c */
int mc_buf_add(mc_buf *b, const char *p, size_t n);
void mc_buf_clear(mc_buf *b, size_t keep);
void mc_buf_free(mc_buf *b);

/* reqcheck.c: read and validate a request table, raising usage errors
   before anything is allocated */
extern const char *const mc_method_names[];
void mc_req_check(lua_State *L, int idx, mc_req *r);

/* xfer.c: apply a checked request to a transfer slot; never raises */
int mc_xfer_prepare(lua_State *L, mc_xfer *x, const mc_req *r);
int mc_xfer_early(mc_xfer *x, const char *kind, const char *fmt, ...);
int mc_xfer_body_to_file(mc_xfer *x);
int mc_xfer_add_header(mc_xfer *x, const char *line);

/* trust.c: the TLS settings and the proxy of a request, applied to its
   transfer (after the URL and headers are set, before CURLOPT_HTTPHEADER);
   0, or -1 with x->early set */
int mc_trust_apply(mc_xfer *x, const mc_req *r, int has_host_header);
void mc_xfer_release(mc_xfer *x);
void mc_xfer_finish(mc_xfer *x);
void mc_xfer_destroy(mc_xfer *x);

/* share.c: the state's curl share handle (connections, DNS, TLS sessions) */
CURLSH *mc_share(lua_State *L);
void mc_share_open(lua_State *L);

/* result.c: what a finished transfer says, pushed for Lua */
const char *mc_kind_of(CURLcode c);
int mc_xfer_push_result(lua_State *L, mc_xfer *x, CURLcode code);
void mc_headers_open(lua_State *L);

/* core.c: a metatable for a userdata class: methods as __index, `gc` as
   __gc and __close (an idempotent close), `tostring` when given */
void mc_new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc, lua_CFunction tostring);

/* session.c, multi.c, crypto.c, encoding.c: add functions to the module table on top */
void mc_session_open(lua_State *L);
void mc_multi_open(lua_State *L);
void mc_crypto_open(lua_State *L);
void mc_encoding_open(lua_State *L);
void mc_files_open(lua_State *L);
void mc_listener_open(lua_State *L);
void mc_json_open(lua_State *L);   /* json_decode.c */
void mc_tcp_open(lua_State *L);   /* tcp.c */

#endif /* MAUTIC_MCORE_H */
