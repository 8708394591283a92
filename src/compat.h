/*
 * compat.h - one source for the Lua 5.4 and the Lua 5.1 (LuaJIT) C APIs.
 *
 * LuaJIT 2.1 already carries luaL_setfuncs, luaL_newlib, luaL_testudata and
 * luaL_setmetatable; plain Lua 5.1 does not, so they are shimmed here for it.
 */
#ifndef MAUTIC_COMPAT_H
#define MAUTIC_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502

#define lua_rawlen(L, i) lua_objlen((L), (i))

#ifndef luaL_newlibtable /* plain Lua 5.1, not LuaJIT 2.1 */
static inline void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
    luaL_checkstack(L, nup, "too many upvalues");
    for (; l->name != NULL; l++) {
        int i;
        for (i = 0; i < nup; i++)
            lua_pushvalue(L, -nup);
        lua_pushcclosure(L, l->func, nup);
        lua_setfield(L, -(nup + 2), l->name);
    }
    lua_pop(L, nup);
}
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs((L), (l), 0))
static inline void *luaL_testudata(lua_State *L, int ud, const char *tname)
{
    void *p = lua_touserdata(L, ud);
    if (p != NULL && lua_getmetatable(L, ud)) {
        luaL_getmetatable(L, tname);
        if (!lua_rawequal(L, -1, -2))
            p = NULL;
        lua_pop(L, 2);
        return p;
    }
    return NULL;
}
static inline void luaL_setmetatable(lua_State *L, const char *tname)
{
    luaL_getmetatable(L, tname);
    lua_setmetatable(L, -2);
}
#endif /* !luaL_newlibtable */

#endif /* LUA_VERSION_NUM < 502 */

#endif /* MAUTIC_COMPAT_H */
