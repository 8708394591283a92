/*
 * session.c - core.session(): one curl easy handle reused request after
 * request, so connections are kept alive and TLS sessions resumed.
 */
#include <string.h>

#include "mcore.h"

typedef struct mc_session {
    mc_xfer x;
    int closed;
    int busy; /* inside request(): an explicit close() must wait */
} mc_session;

static mc_session *check_session(lua_State *L)
{
    return (mc_session *)luaL_checkudata(L, 1, MC_SESSION_MT);
}

/* core.session() -> session | nil, message, "memory" */
static int l_session(lua_State *L)
{
    mc_session *s = (mc_session *)lua_newuserdata(L, sizeof *s);
    memset(s, 0, sizeof *s);
    luaL_getmetatable(L, MC_SESSION_MT);
    lua_setmetatable(L, -2);
    s->x.easy = curl_easy_init();
    if (s->x.easy == NULL) {
        s->closed = 1;
        lua_pushnil(L);
        lua_pushliteral(L, "cannot create a curl handle");
        lua_pushliteral(L, "memory");
        return 3;
    }
    return 1;
}

/* session:request(req) -> status, headers, body | nil, message, kind, sent */
static int l_request(lua_State *L)
{
    mc_session *s = check_session(L);
    mc_req r;
    CURLcode code;
    int n;
    mc_req_check(L, 2, &r);
    if (s->closed || s->busy) {
        lua_pushnil(L);
        lua_pushstring(L, s->closed ? "session is closed" : "session is busy");
        lua_pushliteral(L, "usage");
        lua_pushboolean(L, 0);
        return 4;
    }
    s->busy = 1;
    if (mc_xfer_prepare(L, &s->x, &r) != 0)
        code = CURLE_OK; /* x.early says what went wrong */
    else
        code = curl_easy_perform(s->x.easy);
    n = mc_xfer_push_result(L, &s->x, code);
    s->busy = 0;
    return n;
}

static int l_close(lua_State *L)
{
    mc_session *s = check_session(L);
    if (s->busy)
        return luaL_error(L, "session is busy");
    if (!s->closed) {
        s->closed = 1;
        mc_xfer_destroy(&s->x);
    }
    return 0;
}

/* __gc: nothing can be using an unreachable session, so never "busy" */
static int l_gc(lua_State *L)
{
    mc_session *s = check_session(L);
    if (!s->closed) {
        s->closed = 1;
        mc_xfer_destroy(&s->x);
    }
    return 0;
}

static int l_tostring(lua_State *L)
{
    mc_session *s = check_session(L);
    lua_pushfstring(L, "mautic.core.session (%s%p)", s->closed ? "closed, " : "", (void *)s);
    return 1;
}

static const luaL_Reg session_methods[] = {
    {"request", l_request},
    {"close", l_close},
    {NULL, NULL}
};

void mc_session_open(lua_State *L)
{
    mc_new_class(L, MC_SESSION_MT, session_methods, l_gc, l_tostring);

    lua_pushcfunction(L, l_session);
    lua_setfield(L, -2, "session");
}
