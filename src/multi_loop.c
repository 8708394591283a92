/*
 * multi_loop.c - a host event loop drives a multi handle:
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
#include <stdlib.h>
#include <string.h>

#include "multi.h"

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

void mc_multi_events_free(mc_multi *m)
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
    mc_multi *m = mc_multi_check(L);
    if (m->closed || m->events_on)
        return m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, (void *)m);
    m->events_on = 1;
    return m;
}

int mc_multi_fds(lua_State *L)
{
    mc_multi *m = check_events(L);
    mc_sock *k;
    if (m->closed)
        return mc_multi_fail(L, "multi is closed", "usage");
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

int mc_multi_perform(lua_State *L)
{
    mc_multi *m = check_events(L);
    lua_Integer fd = luaL_optinteger(L, 2, -1);
    const char *events = luaL_optstring(L, 3, "");
    int ev = 0, running = 0;
    CURLMcode mc;
    if (m->closed)
        return mc_multi_fail(L, "multi is closed", "usage");
    if (m->busy)
        return luaL_error(L, "multi is busy");
    if (strchr(events, 'r') != NULL)
        ev |= CURL_CSELECT_IN;
    if (strchr(events, 'w') != NULL)
        ev |= CURL_CSELECT_OUT;
    mc = curl_multi_socket_action(m->multi, fd < 0 ? CURL_SOCKET_TIMEOUT : (curl_socket_t)fd,
                                  fd < 0 ? 0 : ev, &running);
    if (mc != CURLM_OK)
        return mc_multi_fail(L, curl_multi_strerror(mc), mc == CURLM_OUT_OF_MEMORY ? "memory" : "network");
    mc_multi_collect(m);
    return mc_multi_push_finished(L, m);
}

int mc_multi_timeout(lua_State *L)
{
    mc_multi *m = check_events(L);
    long ms = -1;
    if (m->closed)
        return mc_multi_fail(L, "multi is closed", "usage");
    if (curl_multi_timeout(m->multi, &ms) != CURLM_OK || ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000.0);
    return 1;
}
