/*
 * multi.c - core.multi(): many transfers at once on one curl multi handle.
 *
 * The multi userdata owns every transfer it creates: the ones in flight and
 * the finished ones waiting for run() are on m->xfers, the reusable ones
 * (easy handle kept, so its TLS session cache too) on m->idle.
 *
 * Two ways to drive it: run() blocks until something finishes; fds,
 * perform and timeout (multi_loop.c) let a host loop wait on curl's sockets
 * and timer itself and never block.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "multi.h"

mc_multi *mc_multi_check(lua_State *L)
{
    return (mc_multi *)luaL_checkudata(L, 1, MC_MULTI_MT);
}

int mc_multi_fail(lua_State *L, const char *msg, const char *kind)
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
    mc_multi_events_free(m);
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
        return mc_multi_fail(L, "cannot create a curl multi handle", "memory");
    }
    return 1;
}

/* multi:add(req) -> id | nil, message, kind */
static int l_add(lua_State *L)
{
    mc_multi *m = mc_multi_check(L);
    mc_req r;
    mc_xfer *x, **pp;
    mc_req_check(L, 2, &r);
    if (m->closed)
        return mc_multi_fail(L, "multi is closed", "usage");
    if (m->idle != NULL) {
        x = m->idle;
        m->idle = x->next;
        m->nidle--;
    } else {
        x = (mc_xfer *)calloc(1, sizeof *x);
        if (x == NULL)
            return mc_multi_fail(L, "out of memory", "memory");
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


static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* move finished transfers out of curl; returns how many are done */
int mc_multi_collect(mc_multi *m)
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
    mc_multi *m = mc_multi_check(L);
    lua_Number timeout = luaL_optnumber(L, 2, -1);
    double deadline;
    if (timeout != timeout)
        return luaL_argerror(L, 2, "timeout is NaN");
    if (m->closed)
        return mc_multi_fail(L, "multi is closed", "usage");
    if (m->busy)
        return luaL_error(L, "multi is busy");
    deadline = mono_ms() + (timeout > 0 ? timeout * 1000.0 : 0);

    for (;;) {
        int running = 0;
        double wait;
        CURLMcode mc = curl_multi_perform(m->multi, &running);
        if (mc != CURLM_OK)
            return mc_multi_fail(L, curl_multi_strerror(mc), mc == CURLM_OUT_OF_MEMORY ? "memory" : "network");
        if (mc_multi_collect(m) > 0 || running == 0)
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
            return mc_multi_fail(L, curl_multi_strerror(mc), mc == CURLM_OUT_OF_MEMORY ? "memory" : "network");
    }

    return mc_multi_push_finished(L, m);
}

/* pushes the array of finished transfers' results and recycles them */
int mc_multi_push_finished(lua_State *L, mc_multi *m)
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
    mc_multi *m = mc_multi_check(L);
    lua_pushinteger(L, m->pending);
    return 1;
}

static int l_close(lua_State *L)
{
    mc_multi *m = mc_multi_check(L);
    if (m->busy)
        return luaL_error(L, "multi is busy");
    multi_close(m);
    return 0;
}

/* __gc: an unreachable multi cannot be in use, so never "busy" */
static int l_gc(lua_State *L)
{
    multi_close(mc_multi_check(L));
    return 0;
}

static int l_tostring(lua_State *L)
{
    mc_multi *m = mc_multi_check(L);
    lua_pushfstring(L, "mautic.core.multi (%s%p)", m->closed ? "closed, " : "", (void *)m);
    return 1;
}

static const luaL_Reg multi_methods[] = {
    {"add", l_add},
    {"run", l_run},
    {"pending", l_pending},
    {"close", l_close},
    {"fds", mc_multi_fds},
    {"perform", mc_multi_perform},
    {"timeout", mc_multi_timeout},
    {NULL, NULL}
};

void mc_multi_open(lua_State *L)
{
    mc_new_class(L, MC_MULTI_MT, multi_methods, l_gc, l_tostring);

    lua_pushcfunction(L, l_multi);
    lua_setfield(L, -2, "multi");
}
