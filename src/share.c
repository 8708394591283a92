/*
 * share.c - one curl share handle per Lua state: the connection cache, the
 * DNS cache and TLS session IDs are shared by every session and multi
 * handle of the state, so a connection opened by one is reused by the next
 * (a script's sequential calls, then a mautic.parallel run, then the next).
 *
 * Ownership: a userdata in the registry owns the share. It is made when the
 * module is opened, before any session or multi handle, so Lua finalizes it
 * after them (finalizers run in reverse order of creation); its __gc then
 * finds no handle using it and frees it with its cached connections.
 *
 * One state, one thread: a Lua state is never used by two threads at once,
 * so the share needs no locks (a host with a state per thread, such as
 * HAProxy's lua-load-per-thread, gets a share per thread).
 *
 * Fork: a child must never use or close its parent's sockets, so a state
 * that finds its share made by another pid sets that one aside, untouched,
 * and makes its own.
 */
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "mcore.h"

#define MC_SHARE_MT "mautic.core.share"
#define MC_SHARE_KEY "mautic.core.share_handle"

typedef struct mc_share_ud {
    CURLSH *sh;
    pid_t pid;
} mc_share_ud;

static CURLSH *new_share(void)
{
    CURLSH *sh = curl_share_init();
    CURLSHcode rc = CURLSHE_OK;
    if (sh == NULL)
        return NULL;
#define SHARE(opt, val) do { if (rc == CURLSHE_OK) rc = curl_share_setopt(sh, opt, val); } while (0)
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

static int share_gc(lua_State *L)
{
    mc_share_ud *u = (mc_share_ud *)luaL_checkudata(L, 1, MC_SHARE_MT);
    /* a parent's share (after fork) is not ours to close; one still in use
       (CURLSHE_IN_USE) is left alone rather than freed under its users */
    if (u->sh != NULL && u->pid == getpid() && curl_share_cleanup(u->sh) == CURLSHE_OK)
        u->sh = NULL;
    return 0;
}

/* a fresh share userdata, stored in the registry; never raises after the
   userdata exists (curl_share_init failing just means no sharing) */
static mc_share_ud *make_share(lua_State *L)
{
    mc_share_ud *u = (mc_share_ud *)lua_newuserdata(L, sizeof *u);
    memset(u, 0, sizeof *u);
    luaL_getmetatable(L, MC_SHARE_MT);
    lua_setmetatable(L, -2);
    u->pid = getpid();
    u->sh = new_share();
    lua_setfield(L, LUA_REGISTRYINDEX, MC_SHARE_KEY);
    return u;
}

/* The state's share handle, or NULL (then each handle keeps its own
   caches, as libcurl does by default). */
CURLSH *mc_share(lua_State *L)
{
    mc_share_ud *u;
    lua_getfield(L, LUA_REGISTRYINDEX, MC_SHARE_KEY);
    u = (mc_share_ud *)luaL_testudata(L, -1, MC_SHARE_MT);
    if (u != NULL && u->pid != getpid()) {
        /* forked: keep the parent's share reachable (its __gc leaves it
           alone) and make one of our own */
        lua_setfield(L, LUA_REGISTRYINDEX, MC_SHARE_KEY ".parent");
        u = NULL;
    } else {
        lua_pop(L, 1);
    }
    if (u == NULL)
        u = make_share(L);
    return u->sh;
}

void mc_share_open(lua_State *L)
{
    if (luaL_newmetatable(L, MC_SHARE_MT)) {
        lua_pushcfunction(L, share_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, MC_SHARE_KEY);
    if (lua_isnil(L, -1))
        make_share(L);
    lua_pop(L, 1);
}
