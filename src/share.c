/*
 * share.c - one curl share handle per process: the connection cache, the
 * DNS cache and TLS session IDs are shared by every session and multi
 * handle, so a connection opened by one is reused by the next (a script's
 * sequential calls, then a mautic.parallel run, then the next run).
 *
 * The share lives as long as the process (like curl_global_init): freeing
 * it would need every easy handle gone first, and Lua finalizers give no
 * order. Its connections are "still reachable" at exit, never leaked.
 *
 * Threads: a host may run several Lua states on threads (HAProxy with
 * lua-load-per-thread), so access is serialised with one mutex per kind
 * of shared data, as libcurl asks. Fork: a child must never use its
 * parent's sockets, so a process that finds a share made by another pid
 * makes its own (the parent's is left alone; it is not ours to close).
 */
#include <pthread.h>
#include <sys/types.h>
#include <unistd.h>

#include "mcore.h"

static CURLSH *share;
static pid_t share_pid;
static pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static int locks_ready;

static void lock_cb(CURL *handle, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)handle;
    (void)access;
    (void)ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&locks[data]);
}

static void unlock_cb(CURL *handle, curl_lock_data data, void *ud)
{
    (void)handle;
    (void)ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&locks[data]);
}

static CURLSH *new_share(void)
{
    CURLSH *sh = curl_share_init();
    CURLSHcode rc = CURLSHE_OK;
    if (sh == NULL)
        return NULL;
#define SHARE(opt, val) do { if (rc == CURLSHE_OK) rc = curl_share_setopt(sh, opt, val); } while (0)
    SHARE(CURLSHOPT_LOCKFUNC, lock_cb);
    SHARE(CURLSHOPT_UNLOCKFUNC, unlock_cb);
    SHARE(CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    SHARE(CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
#if LIBCURL_VERSION_NUM >= 0x073900
    SHARE(CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
#endif
#undef SHARE
    if (rc != CURLSHE_OK) {
        curl_share_cleanup(sh);
        return NULL;
    }
    return sh;
}

/* The process's share handle, or NULL when one cannot be made (then each
   handle keeps its own caches, as libcurl does by default). */
CURLSH *mc_share(void)
{
    pid_t pid = getpid();
    CURLSH *sh;
    pthread_mutex_lock(&create_lock);
    if (!locks_ready) {
        int i;
        for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_init(&locks[i], NULL);
        locks_ready = 1;
    }
    if (share == NULL || share_pid != pid) {
        share = new_share();
        share_pid = pid;
    }
    sh = share;
    pthread_mutex_unlock(&create_lock);
    return sh;
}
