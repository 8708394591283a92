/*
 * json_decode_fuzz.c - libFuzzer target for core.json_decode
 * (src/json_decode.c, src/json_scalar.c). Run by `make fuzz` (spec/fuzz/run),
 * never by `make test`.
 *
 * Each input is decoded three ways (plain, with an order field, with an
 * order table) in one Lua 5.4 state. Besides what ASan/UBSan catch, the run
 * stops when the decoder raises, or when the results break the contract:
 * the three ways agree (same value, or the same "... at byte offset N"
 * message with N <= #input), the keys given for the field are exactly the
 * members of that object, and every key noted in the order table belongs to
 * its object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

void mc_json_open(lua_State *L);

static const char checker[] =
    "local decode, s = ...\n"
    "local function same(a, b)\n"
    "  if type(a) ~= 'table' or type(b) ~= 'table' then\n"
    "    return a == b or (a ~= a and b ~= b)\n"
    "  end\n"
    "  if getmetatable(a) ~= getmetatable(b) then return false end\n"
    "  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
    "  for k in pairs(b) do if a[k] == nil then return false end end\n"
    "  return true\n"
    "end\n"
    "local v1, e1 = decode(s)\n"
    "local order = {}\n"
    "local v2, e2 = decode(s, order)\n"
    "local v3, keys = decode(s, 'a')\n"
    "if v1 == nil then\n"
    "  assert(type(e1) == 'string' and e1 == e2 and v2 == nil and v3 == nil and keys == e1, 'errors differ')\n"
    "  local at = tonumber(e1:match(' at byte offset (%d+)$'))\n"
    "  assert(at and at <= #s, 'bad offset: ' .. e1)\n"
    "  return\n"
    "end\n"
    "assert(e1 == nil and e2 == nil, 'value and error')\n"
    "assert(same(v1, v2) and same(v1, v3), 'the three ways disagree')\n"
    "if keys ~= nil then\n"
    "  local obj = v3.a\n"
    "  assert(type(obj) == 'table' and getmetatable(obj) == nil, 'keys for a non-object')\n"
    "  local seen = {}\n"
    "  for _, k in ipairs(keys) do seen[k] = true end\n"
    "  for k in pairs(obj) do assert(seen[k], 'a member missing from the keys') end\n"
    "end\n"
    "for t, ks in pairs(order) do\n"
    "  assert(#ks >= 2, 'order noted for an object with fewer than two members')\n"
    "  local seen = {}\n"
    "  for _, k in ipairs(ks) do seen[k] = true end\n"
    "  for k in pairs(t) do assert(seen[k], 'a member missing from the order') end\n"
    "end\n";

static lua_State *state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    if (state == NULL) {
        state = luaL_newstate();
        luaL_openlibs(state);
        if (luaL_loadstring(state, checker) != LUA_OK)
            abort();
        lua_setfield(state, LUA_REGISTRYINDEX, "fuzz.checker");
        lua_newtable(state);
        mc_json_open(state);
        lua_getfield(state, -1, "json_decode");
        lua_setfield(state, LUA_REGISTRYINDEX, "fuzz.decode");
        lua_pop(state, 1);
    }
    lua_getfield(state, LUA_REGISTRYINDEX, "fuzz.checker");
    lua_getfield(state, LUA_REGISTRYINDEX, "fuzz.decode");
    lua_pushlstring(state, (const char *)data, size);
    if (lua_pcall(state, 2, 0, 0) != LUA_OK) {
        fprintf(stderr, "json_decode broke its contract: %s\n", lua_tostring(state, -1));
        abort();
    }
    if (++runs % 1024 == 0)
        lua_gc(state, LUA_GCCOLLECT, 0);
    return 0;
}
