/*
 * multi.c - core.multi(): many transfers at once on one curl multi handle.
 *
 * The multi userdata owns every transfer it creates: the ones in flight and
 * the finished ones waiting for run() are on m->xfers, the reusable ones
 * (easy handle kept, so its TLS session cache too) on m->idle.
 *
 * Two ways to drive it: run() blocks until something finishes; the
 * event-loop block at the end (fds, perform, timeout) lets a host loop wait
 * on curl's sockets and timer itself and never blocks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcore.h"

#define MC_IDLE_MAX 16

enum { X_ADDING, X_ACTIVE, X_DONE };

/* a socket curl wants watched (event-loop block); serial names one socket's
   lifetime, so a host can tell a new socket that reuses a closed one's fd */
typedef struct mc_sock {
    curl_socket_t fd;
    int what;                 /* CURL_POLL_IN / OUT / INOUT */
    lua_Integer serial;
    struct mc_sock *next;
} mc_sock;

typedef struct mc_multi {
    CURLM *multi;
    mc_xfer *xfers; /* added and not yet returned by run(), oldest first */
    mc_xfer *idle;
    int nidle;
    int pending;
    int busy;
    int closed;
    lua_Integer next_id;
    /* event-loop block */
    mc_sock *socks;
    lua_Integer next_serial;
    int events_on;
} mc_multi;

static void events_free(mc_multi *m);

static mc_multi *check_multi(lua_State *L)
{
    return (mc_multi *)luaL_checkudata(L, 1, MC_MULTI_MT);
}

static int fail(lua_State *L, const char *msg, const char *kind)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, kind);
    return 3;
}

static void multi_close(mc_multi *m)
{
    mc_xfer *x, *next;
    if (m->closed)
        return;
    m->closed = 1;
    for (x = m->xfers; x != NULL; x = next) {
        next = x->next;
        if (x->in_multi)
            curl_multi_remove_handle(m->multi, x->easy);
        mc_xfer_destroy(x);
        free(x);
    }
    for (x = m->idle; x != NULL; x = next) {
        next = x->next;
        mc_xfer_destroy(x);
        free(x);
    }
    m->xfers = m->idle = NULL;
    m->nidle = m->pending = 0;
    if (m->multi != NULL) {
        curl_multi_cleanup(m->multi);
        m->multi = NULL;
    }
    events_free(m);
}

/* core.multi() -> multi | nil, message, "memory" */
static int l_multi(lua_State *L)
{
    mc_multi *m = (mc_multi *)lua_newuserdata(L, sizeof *m);
    memset(m, 0, sizeof *m);
    luaL_getmetatable(L, MC_MULTI_MT);
    lua_setmetatable(L, -2);
    m->multi = curl_multi_init();
    if (m->multi == NULL) {
        m->closed = 1;
        return fail(L, "cannot create a curl multi handle", "memory");
    }
    return 1;
}

/* multi:add(req) -> id | nil, message, kind */
static int l_add(lua_State *L)
{
    mc_multi *m = check_multi(L);
    mc_req r;
    mc_xfer *x, **pp;
    mc_req_check(L, 2, &r);
    if (m->closed)
        return fail(L, "multi is closed", "usage");
    if (m->idle != NULL) {
        x = m->idle;
        m->idle = x->next;
        m->nidle--;
    } else {
        x = (mc_xfer *)calloc(1, sizeof *x);
        if (x == NULL)
            return fail(L, "out of memory", "memory");
    }
    /* owned by m from here on, before anything can raise */
    x->next = NULL;
    x->state = X_ADDING;
    x->in_multi = 0;
    x->id = ++m->next_id;
    for (pp = &m->xfers; *pp != NULL; pp = &(*pp)->next)
        ;
    *pp = x;

    m->busy++;
    if (mc_xfer_prepare(L, x, &r) == 0) {
        CURLMcode mc = curl_multi_add_handle(m->multi, x->easy);
        if (mc == CURLM_OK)
            x->in_multi = 1;
        else {
            snprintf(x->early, sizeof x->early, "%s", curl_multi_strerror(mc));
            x->early_kind = mc == CURLM_OUT_OF_MEMORY ? "memory" : "usage";
        }
    }
    m->busy--;
    /* a request that failed before starting is reported by run() */
    x->state = x->in_multi ? X_ACTIVE : X_DONE;
    m->pending++;
    lua_pushinteger(L, x->id);
    return 1;
}

static int push_finished(lua_State *L, mc_multi *m);

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* move finished transfers out of curl; returns how many are done */
static int collect(mc_multi *m)
{
    CURLMsg *msg;
    int left, ndone = 0;
    mc_xfer *x;
    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        char *priv = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        x = (mc_xfer *)(void *)priv;
        x->result = msg->data.result;
        curl_multi_remove_handle(m->multi, x->easy);
        x->in_multi = 0;
        x->state = X_DONE;
    }
    for (x = m->xfers; x != NULL; x = x->next)
        if (x->state == X_DONE)
            ndone++;
    return ndone;
}

/* multi:run(timeout_seconds) -> { results } | nil, message, kind
   blocks until at least one transfer is finished or the timeout passes
   (no timeout: until one finishes) */
static int l_run(lua_State *L)
{
    mc_multi *m = check_multi(L);
    lua_Number timeout = luaL_optnumber(L, 2, -1);
    double deadline;
    if (timeout != timeout)
        return luaL_argerror(L, 2, "timeout is NaN");
    if (m->closed)
        return fail(L, "multi is closed", "usage");
    if (m->busy)
        return luaL_error(L, "multi is busy");
    deadline = mono_ms() + (timeout > 0 ? timeout * 1000.0 : 0);

    for (;;) {
        int running = 0;
        double wait;
        CURLMcode mc = curl_multi_perform(m->multi, &running);
        if (mc != CURLM_OK)
            return fail(L, curl_multi_strerror(mc), mc == CURLM_OUT_OF_MEMORY ? "memory" : "network");
        if (collect(m) > 0 || running == 0)
            break;
        if (timeout < 0) {
            wait = 1000;
        } else {
            wait = deadline - mono_ms();
            if (wait <= 0)
                break;
            if (wait > 1000)
                wait = 1000;
        }
        mc = curl_multi_poll(m->multi, NULL, 0, (int)wait + (wait > (int)wait), NULL);
        if (mc != CURLM_OK)
            return fail(L, curl_multi_strerror(mc), mc == CURLM_OUT_OF_MEMORY ? "memory" : "network");
    }

    return push_finished(L, m);
}

/* pushes the array of finished transfers' results and recycles them */
static int push_finished(lua_State *L, mc_multi *m)
{
    int n = 0, results;
    mc_xfer **pp;
    lua_newtable(L);
    results = lua_gettop(L);
    m->busy++;
    pp = &m->xfers;
    while (*pp != NULL) {
        mc_xfer *x = *pp;
        if (x->state != X_DONE) {
            pp = &x->next;
            continue;
        }
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, x->id);
        lua_setfield(L, -2, "id");
        if (mc_xfer_push_result(L, x, x->result) == 3) {
            lua_setfield(L, -4, "body");
            lua_setfield(L, -3, "headers");
            lua_setfield(L, -2, "status");
        } else {
            lua_setfield(L, -5, "sent");
            lua_setfield(L, -4, "kind");
            lua_setfield(L, -3, "err");
            lua_pop(L, 1);
        }
        lua_rawseti(L, results, ++n);
        /* returned: unlink, keep the easy handle for the next add() */
        *pp = x->next;
        m->pending--;
        if (m->nidle < MC_IDLE_MAX) {
            x->next = m->idle;
            m->idle = x;
            m->nidle++;
        } else {
            mc_xfer_destroy(x);
            free(x);
        }
    }
    m->busy--;
    return 1;
}

static int l_pending(lua_State *L)
{
    mc_multi *m = check_multi(L);
    lua_pushinteger(L, m->pending);
    return 1;
}

static int l_close(lua_State *L)
{
    mc_multi *m = check_multi(L);
    if (m->busy)
        return luaL_error(L, "multi is busy");
    multi_close(m);
    return 0;
}

/* __gc: an unreachable multi cannot be in use, so never "busy" */
static int l_gc(lua_State *L)
{
    multi_close(check_multi(L));
    return 0;
}

static int l_tostring(lua_State *L)
{
    mc_multi *m = check_multi(L);
    lua_pushfstring(L, "mautic.core.multi (%s%p)", m->closed ? "closed, " : "", (void *)m);
    return 1;
}

/* ---- event-loop block: a host loop drives the multi -----------------------
 *
 * multi:fds()      -> { [serial] = { fd = n, events = "r" | "w" | "rw" } }
 * multi:perform([fd, events]) -> results, as run() returns them; never blocks
 * multi:timeout()  -> seconds until perform() is due without socket activity,
 *                     or nil (none)
 *
 * curl tells which sockets it wants watched through CURLMOPT_SOCKETFUNCTION,
 * recorded here in C (no Lua runs inside curl's callbacks); the host waits on
 * them, calls perform(fd, events) when one is ready and perform() when the
 * timeout passes. The callback is set on the first call of any of these: a
 * multi is driven either this way or with run(), not both.
 */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    mc_multi *m = (mc_multi *)userp;
    mc_sock *k = (mc_sock *)socketp, **pp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        for (pp = &m->socks; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == k) {
                *pp = k->next;
                free(k);
                break;
            }
        }
        curl_multi_assign(m->multi, s, NULL);
        return 0;
    }
    if (k == NULL) {
        k = (mc_sock *)calloc(1, sizeof *k);
        if (k == NULL)
            return -1;
        k->serial = ++m->next_serial;
        k->next = m->socks;
        m->socks = k;
        curl_multi_assign(m->multi, s, k);
    }
    k->fd = s;
    k->what = what;
    return 0;
}

static void events_free(mc_multi *m)
{
    mc_sock *k, *next;
    for (k = m->socks; k != NULL; k = next) {
        next = k->next;
        free(k);
    }
    m->socks = NULL;
}

static mc_multi *check_events(lua_State *L)
{
    mc_multi *m = check_multi(L);
    if (m->closed || m->events_on)
        return m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, (void *)m);
    m->events_on = 1;
    return m;
}

static int l_fds(lua_State *L)
{
    mc_multi *m = check_events(L);
    mc_sock *k;
    if (m->closed)
        return fail(L, "multi is closed", "usage");
    lua_newtable(L);
    for (k = m->socks; k != NULL; k = k->next) {
        const char *events = k->what == CURL_POLL_IN ? "r" : k->what == CURL_POLL_OUT ? "w" : "rw";
        if (k->what != CURL_POLL_IN && k->what != CURL_POLL_OUT && k->what != CURL_POLL_INOUT)
            continue;
        lua_pushinteger(L, k->serial);
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, (lua_Integer)k->fd);
        lua_setfield(L, -2, "fd");
        lua_pushstring(L, events);
        lua_setfield(L, -2, "events");
        lua_rawset(L, -3);
    }
    return 1;
}

static int l_perform(lua_State *L)
{
    mc_multi *m = check_events(L);
    lua_Integer fd = luaL_optinteger(L, 2, -1);
    const char *events = luaL_optstring(L, 3, "");
    int ev = 0, running = 0;
    CURLMcode mc;
    if (m->closed)
        return fail(L, "multi is closed", "usage");
    if (m->busy)
        return luaL_error(L, "multi is busy");
    if (strchr(events, 'r') != NULL)
        ev |= CURL_CSELECT_IN;
    if (strchr(events, 'w') != NULL)
        ev |= CURL_CSELECT_OUT;
    mc = curl_multi_socket_action(m->multi, fd < 0 ? CURL_SOCKET_TIMEOUT : (curl_socket_t)fd,
                                  fd < 0 ? 0 : ev, &running);
    if (mc != CURLM_OK)
        return fail(L, curl_multi_strerror(mc), mc == CURLM_OUT_OF_MEMORY ? "memory" : "network");
    collect(m);
    return push_finished(L, m);
}

static int l_timeout(lua_State *L)
{
    mc_multi *m = check_events(L);
    long ms = -1;
    if (m->closed)
        return fail(L, "multi is closed", "usage");
    if (curl_multi_timeout(m->multi, &ms) != CURLM_OK || ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000.0);
    return 1;
}

static const luaL_Reg multi_methods[] = {
    {"add", l_add},
    {"run", l_run},
    {"pending", l_pending},
    {"close", l_close},
    {"fds", l_fds},
    {"perform", l_perform},
    {"timeout", l_timeout},
    {NULL, NULL}
};

void mc_multi_open(lua_State *L)
{
    mc_new_class(L, MC_MULTI_MT, multi_methods, l_gc, l_tostring);

    lua_pushcfunction(L, l_multi);
    lua_setfield(L, -2, "multi");
}
