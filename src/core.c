/*
 * core.c - luaopen_mautic_core: the C core of lua-mautic.
 *
 * HTTP transport (libcurl), crypto (OpenSSL) and encoding primitives.
 * Knows HTTP and crypto, not Mautic.
 */
#include <errno.h>
#include <time.h>

#include "mcore.h"

/* sleep(seconds) */
static int l_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    struct timespec req, rem;
    luaL_argcheck(L, s == s, 1, "NaN");
    if (s <= 0)
        return 0;
    if (s > 1e9)
        s = 1e9;
    req.tv_sec = (time_t)s;
    req.tv_nsec = (long)((s - (lua_Number)req.tv_sec) * 1e9);
    if (req.tv_nsec > 999999999L)
        req.tv_nsec = 999999999L;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
    return 0;
}

/* now() -> wall clock in seconds (float) */
static int l_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

void mc_new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc, lua_CFunction tostring)
{
    if (!luaL_newmetatable(L, name)) {
        lua_pop(L, 1);
        return;
    }
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    /* Lua 5.4's to-be-closed variables; harmless on 5.1 */
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__close");
    if (tostring != NULL) {
        lua_pushcfunction(L, tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

static const luaL_Reg core_funcs[] = {
    {"sleep", l_sleep},
    {"now", l_now},
    {NULL, NULL}
};

int luaopen_mautic_core(lua_State *L);

int luaopen_mautic_core(lua_State *L)
{
    static int curl_ready = 0;
    if (!curl_ready) {
        /* once per process; never cleaned up (other Lua states may use it) */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return luaL_error(L, "mautic.core: curl_global_init failed");
        curl_ready = 1;
    }
    mc_headers_open(L);
    mc_share_open(L);   /* before any session or multi: finalized after them */
    luaL_newlib(L, core_funcs);
    mc_session_open(L);
    mc_multi_open(L);
    mc_crypto_open(L);
    mc_encoding_open(L);
    mc_files_open(L);
    mc_listener_open(L);
    mc_json_open(L);
    mc_tcp_open(L);
    lua_pushliteral(L, MC_VERSION);
    lua_setfield(L, -2, "_VERSION");
    {
        /* not curl_version(): it initialises libldap/libsasl2, which leak */
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        lua_pushfstring(L, "libcurl/%s%s%s", v->version, v->ssl_version ? " " : "",
                        v->ssl_version ? v->ssl_version : "");
        lua_setfield(L, -2, "curl_version");
    }
    return 1;
}
