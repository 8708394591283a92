/*
 * trust.c - whom a transfer trusts and how it reaches the server: the
 * request's `tls` settings and its proxy, applied to the easy handle.
 *
 * Connections and TLS sessions live in one share handle per Lua state
 * (share.c): a connection or a session made for one client may serve the
 * next. libcurl reuses a connection, and resumes a TLS session, only for a
 * transfer whose TLS settings match (peer and host verification, CA file,
 * client certificate...) and whose proxy matches. What is set here keeps
 * that true:
 *  - every setting goes through a curl option that is part of libcurl's
 *    match, never through state the share holds for every client:
 *    tls.server_name is CURLOPT_CONNECT_TO (matched), never CURLOPT_RESOLVE
 *    (the shared DNS cache would send every client of the state there);
 *  - libcurl before 8.20 matches a proxy by host and port, not by its
 *    credentials, so a CONNECT tunnel opened with one user's proxy
 *    credentials could serve a transfer with other credentials, or none:
 *    such a tunnel is neither taken from the cache nor left in it.
 * spec/tls_reuse_spec.lua counts connections and resumed sessions at the
 * server to show it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcore.h"

static int is_https(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0;
}

/* does a proxy URL carry credentials (user[:password]@ before the host)? */
static int proxy_has_credentials(const char *proxy)
{
    const char *p = strstr(proxy, "://");
    size_t n;
    p = p != NULL ? p + 3 : proxy;
    n = strcspn(p, "/?#");
    return memchr(p, '@', n) != NULL;
}

/* libcurl 8.20 and later compare proxy credentials before reusing a tunnel */
static int tunnels_keyed_by_credentials(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return v != NULL && v->version_num >= 0x081400;
}

#if LIBCURL_VERSION_NUM >= 0x073e00 /* curl_url(): 7.62 */
/*
 * tls.server_name: libcurl sends as SNI and checks the certificate against
 * the URL's host, and has no option for another name. So the URL gets the
 * server name as its host, CURLOPT_CONNECT_TO sends that name's
 * connections to the URL's real host and port, and the Host header keeps
 * the URL's authority (unless the request sets its own), as over cosockets.
 */

/* the URL taken apart and put back with the server name; every pointer is
   libcurl's memory, NULL or freed by url_parts_free alone */
typedef struct url_parts {
    CURLU *u;
    char *host;
    char *port;             /* the URL's port, or its scheme's */
    char *given_port;       /* the port written in the URL, or NULL */
    char *url;              /* the URL with the server name as its host */
} url_parts;

static void url_parts_free(url_parts *s)
{
    curl_free(s->host);
    curl_free(s->port);
    curl_free(s->given_port);
    curl_free(s->url);
    curl_url_cleanup(s->u);
}

static const char *url_failure_kind(CURLUcode uc)
{
    return uc == CURLUE_OUT_OF_MEMORY ? "memory" : "usage";
}

/* the host and port of r->url into s; 0, or -1 with x->early set */
static int read_url(mc_xfer *x, const mc_req *r, url_parts *s)
{
    CURLUcode uc;
    s->u = curl_url();
    if (s->u == NULL)
        return mc_xfer_early(x, "memory", "out of memory");
    uc = curl_url_set(s->u, CURLUPART_URL, r->url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(s->u, CURLUPART_HOST, &s->host, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(s->u, CURLUPART_PORT, &s->port, CURLU_DEFAULT_PORT);
    if (uc != CURLUE_OK)
        return mc_xfer_early(x, url_failure_kind(uc), "tls.server_name: cannot read the URL");
    return 0;
}

/* s->url: r->url with the server name as its host; 0, or -1 with x->early set */
static int rename_url(mc_xfer *x, const mc_req *r, url_parts *s)
{
    CURLUcode uc;
    if (curl_url_get(s->u, CURLUPART_PORT, &s->given_port, 0) != CURLUE_OK)
        s->given_port = NULL; /* none in the URL: the Host header has none either */
    uc = curl_url_set(s->u, CURLUPART_HOST, r->server_name, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(s->u, CURLUPART_URL, &s->url, 0);
    if (uc != CURLUE_OK)
        return mc_xfer_early(x, url_failure_kind(uc), "tls.server_name: cannot use it in the URL");
    return 0;
}

/* x->connect_to gets "name:port:host:port" and, unless the request has its
   own, x->hdrs gets "Host: host[:port]" (both lists owned by x); `line`
   is this function's and freed before it returns */
static int route_name_to_host(mc_xfer *x, const mc_req *r, const url_parts *s, int has_host)
{
    /* one buffer for both lines: the longer of them */
    size_t n = strlen(r->server_name) + 2 * strlen(s->port) + strlen(s->host) + 8 +
               (s->given_port != NULL ? strlen(s->given_port) : 0);
    char *line = (char *)malloc(n);
    struct curl_slist *l;
    int bad;
    if (line == NULL)
        return mc_xfer_early(x, "memory", "out of memory");
    snprintf(line, n, "%s:%s:%s:%s", r->server_name, s->port, s->host, s->port);
    l = curl_slist_append(x->connect_to, line);
    if (l != NULL)
        x->connect_to = l;
    bad = l == NULL;
    if (!bad && !has_host) {
        snprintf(line, n, "Host: %s%s%s", s->host, s->given_port != NULL ? ":" : "",
                 s->given_port != NULL ? s->given_port : "");
        bad = mc_xfer_add_header(x, line) != 0;
    }
    free(line);
    return bad ? mc_xfer_early(x, "memory", "out of memory") : 0;
}

/* connections for the server name go to the URL's host: the renamed URL,
   CURLOPT_CONNECT_TO and the Host header; 0, or -1 with x->early set */
static int connect_by_name(mc_xfer *x, const mc_req *r, url_parts *s, int has_host)
{
    CURLcode rc;
    if (rename_url(x, r, s) != 0 || route_name_to_host(x, r, s, has_host) != 0)
        return -1;
    rc = curl_easy_setopt(x->easy, CURLOPT_URL, s->url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(x->easy, CURLOPT_CONNECT_TO, x->connect_to);
    if (rc != CURLE_OK)
        return mc_xfer_early(x, mc_kind_of(rc), "tls.server_name: %s", curl_easy_strerror(rc));
    return 0;
}

static int apply_server_name(mc_xfer *x, const mc_req *r, int has_host)
{
    url_parts s;
    int ret;
    memset(&s, 0, sizeof s);
    ret = read_url(x, r, &s);
    /* nothing to change when the URL's host already is that name */
    if (ret == 0 && strcasecmp(s.host, r->server_name) != 0)
        ret = connect_by_name(x, r, &s, has_host);
    url_parts_free(&s);
    return ret;
}
#else
static int apply_server_name(mc_xfer *x, const mc_req *r, int has_host)
{
    (void)r;
    (void)has_host;
    return mc_xfer_early(x, "usage", "tls.server_name needs libcurl 7.62 or later");
}
#endif

int mc_trust_apply(mc_xfer *x, const mc_req *r, int has_host)
{
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;
    int https = is_https(r->url);

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
    if (!r->verify) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->ca_file != NULL)
        SET(CURLOPT_CAINFO, r->ca_file);
    if (r->cert_file != NULL) {
        SET(CURLOPT_SSLCERT, r->cert_file);
        SET(CURLOPT_SSLCERTTYPE, "PEM");
        if (r->key_file != NULL)
            SET(CURLOPT_SSLKEY, r->key_file);
        /* an encrypted key fails at once instead of OpenSSL asking for
           its password on the terminal */
        SET(CURLOPT_KEYPASSWD, "");
    }
    if (r->proxy != NULL) {
        SET(CURLOPT_PROXY, r->proxy);
        if (https && proxy_has_credentials(r->proxy) && !tunnels_keyed_by_credentials()) {
            SET(CURLOPT_FRESH_CONNECT, 1L);
            SET(CURLOPT_FORBID_REUSE, 1L);
        }
    }
#undef SET
    if (rc != CURLE_OK)
        return mc_xfer_early(x, mc_kind_of(rc), "%s", curl_easy_strerror(rc));
    /* TLS settings only matter to https (libcurl ignores them for http) */
    if (https && r->server_name != NULL)
        return apply_server_name(x, r, has_host);
    return 0;
}
