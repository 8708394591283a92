/*
 * encoding.c - strict RFC 4648 base64 and RFC 3986 percent-encoding.
 * Output goes through luaL_Buffer (Lua-owned), so raising never leaks.
 */
#include "mcore.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex[] = "0123456789ABCDEF";

/* b64encode(s) -> base64 with padding */
static int l_b64encode(lua_State *L)
{
    size_t n, i;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
        luaL_addchar(&b, b64[(v >> 18) & 63]);
        luaL_addchar(&b, b64[(v >> 12) & 63]);
        luaL_addchar(&b, b64[(v >> 6) & 63]);
        luaL_addchar(&b, b64[v & 63]);
    }
    if (n - i == 1) {
        unsigned long v = (unsigned long)s[i] << 16;
        luaL_addchar(&b, b64[(v >> 18) & 63]);
        luaL_addchar(&b, b64[(v >> 12) & 63]);
        luaL_addlstring(&b, "==", 2);
    } else if (n - i == 2) {
        unsigned long v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8);
        luaL_addchar(&b, b64[(v >> 18) & 63]);
        luaL_addchar(&b, b64[(v >> 12) & 63]);
        luaL_addchar(&b, b64[(v >> 6) & 63]);
        luaL_addchar(&b, '=');
    }
    luaL_pushresult(&b);
    return 1;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int decode_error(lua_State *L, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
}

/* b64decode(s) -> bytes | nil, err (strict: padding required, no
   whitespace, no characters outside the alphabet, zero pad bits) */
static int l_b64decode(lua_State *L)
{
    size_t n, i;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    if (n % 4 != 0)
        return decode_error(L, "invalid base64: length is not a multiple of 4");
    luaL_buffinit(L, &b);
    for (i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int c0 = b64val(s[i]), c1 = b64val(s[i + 1]);
        int c2 = b64val(s[i + 2]), c3 = b64val(s[i + 3]);
        unsigned long v;
        if (c0 < 0 || c1 < 0)
            return decode_error(L, "invalid base64: bad character");
        v = ((unsigned long)c0 << 18) | ((unsigned long)c1 << 12);
        if (last && s[i + 2] == '=' && s[i + 3] == '=') {
            if (v & 0xffff)
                return decode_error(L, "invalid base64: non-zero padding bits");
            luaL_addchar(&b, (char)(v >> 16));
            break;
        }
        if (c2 < 0)
            return decode_error(L, "invalid base64: bad character");
        v |= (unsigned long)c2 << 6;
        if (last && s[i + 3] == '=') {
            if (v & 0xff)
                return decode_error(L, "invalid base64: non-zero padding bits");
            luaL_addchar(&b, (char)(v >> 16));
            luaL_addchar(&b, (char)((v >> 8) & 0xff));
            break;
        }
        if (c3 < 0)
            return decode_error(L, "invalid base64: bad character");
        v |= (unsigned long)c3;
        luaL_addchar(&b, (char)(v >> 16));
        luaL_addchar(&b, (char)((v >> 8) & 0xff));
        luaL_addchar(&b, (char)(v & 0xff));
    }
    luaL_pushresult(&b);
    return 1;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* pct_encode(s): all but ALPHA DIGIT - . _ ~ become %XX (upper-case) */
static int l_pct_encode(lua_State *L)
{
    size_t n, i;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (i = 0; i < n; i++) {
        if (unreserved(s[i])) {
            luaL_addchar(&b, (char)s[i]);
        } else {
            luaL_addchar(&b, '%');
            luaL_addchar(&b, hex[s[i] >> 4]);
            luaL_addchar(&b, hex[s[i] & 15]);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* pct_decode(s) -> bytes | nil, err; '+' stays '+' */
static int l_pct_decode(lua_State *L)
{
    size_t n, i;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = -1, lo = -1;
            if (n - i >= 3) {
                hi = hexval(s[i + 1]);
                lo = hexval(s[i + 2]);
            }
            if (hi < 0 || lo < 0)
                return decode_error(L, "invalid percent-encoding");
            luaL_addchar(&b, (char)(hi * 16 + lo));
            i += 2;
        } else {
            luaL_addchar(&b, (char)s[i]);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

static const luaL_Reg encoding_funcs[] = {
    {"b64encode", l_b64encode},
    {"b64decode", l_b64decode},
    {"pct_encode", l_pct_encode},
    {"pct_decode", l_pct_decode},
    {NULL, NULL}
};

void mc_encoding_open(lua_State *L)
{
    luaL_setfuncs(L, encoding_funcs, 0);
}
