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
static int apply_server_name(mc_xfer *x, const mc_req *r, int has_host)
{
    CURLU *u = curl_url();
    CURLUcode uc;
    CURLcode rc = CURLE_OK;
    char *host = NULL, *port = NULL, *given_port = NULL, *url = NULL, *line = NULL;
    struct curl_slist *l;
    size_t n;
    int ret = -1;

    if (u == NULL)
        return mc_xfer_early(x, "memory", "out of memory");
    uc = curl_url_set(u, CURLUPART_URL, r->url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (uc != CURLUE_OK) {
        mc_xfer_early(x, uc == CURLUE_OUT_OF_MEMORY ? "memory" : "usage", "tls.server_name: cannot read the URL");
        goto done;
    }
    if (strcasecmp(host, r->server_name) == 0) {
        ret = 0; /* the URL's host already is that name */
        goto done;
    }
    if (curl_url_get(u, CURLUPART_PORT, &given_port, 0) != CURLUE_OK)
        given_port = NULL; /* none in the URL: the Host header has none either */
    uc = curl_url_set(u, CURLUPART_HOST, r->server_name, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_URL, &url, 0);
    if (uc != CURLUE_OK) {
        mc_xfer_early(x, uc == CURLUE_OUT_OF_MEMORY ? "memory" : "usage", "tls.server_name: cannot use it in the URL");
        goto done;
    }

    /* "name:port:host:port", and "Host: host[:port]": the longer of both */
    n = strlen(r->server_name) + 2 * strlen(port) + strlen(host) + 8 +
        (given_port != NULL ? strlen(given_port) : 0);
    line = (char *)malloc(n);
    if (line == NULL) {
        mc_xfer_early(x, "memory", "out of memory");
        goto done;
    }
    snprintf(line, n, "%s:%s:%s:%s", r->server_name, port, host, port);
    l = curl_slist_append(x->connect_to, line);
    if (l == NULL) {
        mc_xfer_early(x, "memory", "out of memory");
        goto done;
    }
    x->connect_to = l;
    if (!has_host) {
        snprintf(line, n, "Host: %s%s%s", host, given_port != NULL ? ":" : "", given_port != NULL ? given_port : "");
        if (mc_xfer_add_header(x, line) != 0) {
            mc_xfer_early(x, "memory", "out of memory");
            goto done;
        }
    }
    rc = curl_easy_setopt(x->easy, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(x->easy, CURLOPT_CONNECT_TO, x->connect_to);
    if (rc != CURLE_OK) {
        mc_xfer_early(x, mc_kind_of(rc), "tls.server_name: %s", curl_easy_strerror(rc));
        goto done;
    }
    ret = 0;
done:
    free(line);
    curl_free(host);
    curl_free(port);
    curl_free(given_port);
    curl_free(url);
    curl_url_cleanup(u);
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
