/*
 * crypto.c - HMAC-SHA1, HMAC-SHA256, SHA-256, secure random bytes and a
 * constant-time compare, on OpenSSL. Strings in, binary strings out.
 */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "mcore.h"

#define MC_RANDOM_MAX (1024 * 1024)

static const char *check_lstring(lua_State *L, int arg, size_t *len)
{
    const char *s = luaL_checklstring(L, arg, len);
    if (*len > (size_t)INT_MAX)
        luaL_argerror(L, arg, "string too long");
    return s;
}

static int hmac(lua_State *L, const EVP_MD *md)
{
    size_t kl, ml;
    const char *k = check_lstring(L, 1, &kl);
    const char *m = check_lstring(L, 2, &ml);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int ol = 0;
    if (HMAC(md, k, (int)kl, (const unsigned char *)m, ml, out, &ol) == NULL) {
        lua_pushnil(L);
        lua_pushliteral(L, "HMAC failed");
        return 2;
    }
    lua_pushlstring(L, (const char *)out, ol);
    return 1;
}

/* hmac_sha1(key, msg) -> 20 bytes */
static int l_hmac_sha1(lua_State *L)
{
    return hmac(L, EVP_sha1());
}

/* hmac_sha256(key, msg) -> 32 bytes */
static int l_hmac_sha256(lua_State *L)
{
    return hmac(L, EVP_sha256());
}

/* sha256(msg) -> 32 bytes */
static int l_sha256(lua_State *L)
{
    size_t ml;
    const char *m = luaL_checklstring(L, 1, &ml);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int ol = 0;
    if (!EVP_Digest(m, ml, out, &ol, EVP_sha256(), NULL)) {
        lua_pushnil(L);
        lua_pushliteral(L, "SHA-256 failed");
        return 2;
    }
    lua_pushlstring(L, (const char *)out, ol);
    return 1;
}

/* random_bytes(n) -> n bytes from the CSPRNG | nil, err */
static int l_random_bytes(lua_State *L)
{
    lua_Number d = luaL_checknumber(L, 1);
    size_t n, done = 0;
    luaL_Buffer b;
    luaL_argcheck(L, d >= 0 && d <= MC_RANDOM_MAX && d == (lua_Number)(size_t)d, 1,
                  "must be an integer between 0 and 1048576");
    n = (size_t)d;
    luaL_buffinit(L, &b);
    while (done < n) {
        size_t chunk = n - done;
        char *p = luaL_prepbuffer(&b);
        if (chunk > LUAL_BUFFERSIZE)
            chunk = LUAL_BUFFERSIZE;
        if (RAND_bytes((unsigned char *)p, (int)chunk) != 1) {
            lua_pushnil(L);
            lua_pushliteral(L, "random generator failed");
            return 2;
        }
        luaL_addsize(&b, chunk);
        done += chunk;
    }
    luaL_pushresult(&b);
    return 1;
}

/* ct_equal(a, b) -> boolean; time depends on #b only, never on the content */
static int l_ct_equal(lua_State *L)
{
    size_t al, bl;
    const char *a = luaL_checklstring(L, 1, &al);
    const char *b = luaL_checklstring(L, 2, &bl);
    int eq;
    if (al == bl) {
        eq = CRYPTO_memcmp(a, b, bl) == 0;
    } else {
        /* same amount of work, result thrown away */
        (void)CRYPTO_memcmp(b, b, bl);
        eq = 0;
    }
    lua_pushboolean(L, eq);
    return 1;
}

static const luaL_Reg crypto_funcs[] = {
    {"hmac_sha1", l_hmac_sha1},
    {"hmac_sha256", l_hmac_sha256},
    {"sha256", l_sha256},
    {"random_bytes", l_random_bytes},
    {"ct_equal", l_ct_equal},
    {NULL, NULL}
};

void mc_crypto_open(lua_State *L)
{
    luaL_setfuncs(L, crypto_funcs, 0);
}
