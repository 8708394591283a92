/*
 * json_scalar.c - the strings and numbers of core.json_decode (see
 * json_decode.c). Escaped strings and long numbers are built in scratch
 * memory: a C array for short ones, else a Lua userdata in a stack slot.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_decode.h"

#define JD_EXACT 9007199254740992.0   /* 2^53 */

/* bytes that end the fast scan of a string: '"', '\\' and control characters */
#define C8(b) [b] = 1, [b + 1] = 1, [b + 2] = 1, [b + 3] = 1, \
              [b + 4] = 1, [b + 5] = 1, [b + 6] = 1, [b + 7] = 1
static const unsigned char special[256] = { C8(0), C8(8), C8(16), C8(24), ['"'] = 1, ['\\'] = 1 };

static char *scratch(jd *d, size_t n)
{
    if (n <= JD_SMALL)
        return d->small;
    if (n > d->scratch_len) {
        d->scratch = (char *)lua_newuserdata(d->L, n);
        lua_replace(d->L, d->scratch_idx);
        d->scratch_len = n;
    }
    return d->scratch;
}

static long hex4(const unsigned char *p, const unsigned char *stop)
{
    long v = 0;
    int i;
    if (stop - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int c = p[i], h;
        if (c >= '0' && c <= '9') h = c - '0';
        else if (c >= 'a' && c <= 'f') h = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') h = c - 'A' + 10;
        else return -1;
        v = (v << 4) | h;
    }
    return v;
}

static char *put_utf8(char *o, unsigned long u)
{
    if (u < 0x80) {
        *o++ = (char)u;
    } else if (u < 0x800) {
        *o++ = (char)(0xC0 | (u >> 6));
        *o++ = (char)(0x80 | (u & 0x3F));
    } else if (u < 0x10000) {
        *o++ = (char)(0xE0 | (u >> 12));
        *o++ = (char)(0x80 | ((u >> 6) & 0x3F));
        *o++ = (char)(0x80 | (u & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (u >> 18));
        *o++ = (char)(0x80 | ((u >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((u >> 6) & 0x3F));
        *o++ = (char)(0x80 | (u & 0x3F));
    }
    return o;
}

/* the closing quote of a string whose first special byte is q, checking
   that no control character comes before it; NULL after jd_fail */
static const unsigned char *string_close(jd *d, const unsigned char *q)
{
    const unsigned char *e = (const unsigned char *)d->end, *close = q;
    while (close < e && *close != '"') {
        if (*close == '\\') {
            if (e - close < 2) {
                jd_fail(d, d->end, "unterminated string");
                return NULL;
            }
            close += 2;
        } else if (*close < 0x20) {
            jd_fail(d, (const char *)close, "control character in a string");
            return NULL;
        } else {
            close++;
        }
    }
    if (close >= e) {
        jd_fail(d, d->end, "unterminated string");
        return NULL;
    }
    return close;
}

/* the \u escape at bs (with the low surrogate escape after a high one) as
   UTF-8 at *o, advanced; the byte after it, or NULL after jd_fail */
static const unsigned char *unicode_escape(jd *d, const unsigned char *bs,
                                           const unsigned char *close, char **o)
{
    const unsigned char *p = bs + 2;
    long u = hex4(p, close), lo;
    if (u < 0) {
        jd_fail(d, (const char *)bs, "invalid \\u escape");
        return NULL;
    }
    p += 4;
    if (u >= 0xDC00 && u <= 0xDFFF) {
        jd_fail(d, (const char *)bs, "invalid UTF-16 surrogate (a low one first)");
        return NULL;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (close - p < 6 || p[0] != '\\' || p[1] != 'u'
            || (lo = hex4(p + 2, close)) < 0xDC00 || lo > 0xDFFF) {
            jd_fail(d, (const char *)bs, "invalid UTF-16 surrogate (no low one after)");
            return NULL;
        }
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    }
    *o = put_utf8(*o, (unsigned long)u);
    return p;
}

/* a string with escapes: s its first byte, q its first special byte */
static int string_slow(jd *d, const unsigned char *s, const unsigned char *q)
{
    const unsigned char *close = string_close(d, q), *p;
    char *buf, *o;
    if (close == NULL)
        return -1;
    /* the decoded text is never longer than the escaped one */
    buf = o = scratch(d, (size_t)(close - s));
    for (p = s; p < close;) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(close - p));
        if (bs == NULL)
            bs = close;
        memcpy(o, p, (size_t)(bs - p));
        o += bs - p;
        if (bs == close)
            break;
        p = bs + 2;
        switch (bs[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if ((p = unicode_escape(d, bs, close, &o)) == NULL)
                return -1;
            break;
        default:
            return jd_fail(d, (const char *)bs, "invalid escape in a string");
        }
    }
    lua_pushlstring(d->L, buf, (size_t)(o - buf));
    d->p = (const char *)close + 1;
    return 0;
}

int jd_string(jd *d)
{
    const unsigned char *s = (const unsigned char *)d->p + 1, *q = s;
    const unsigned char *e = (const unsigned char *)d->end;
    while (q < e && !special[*q])
        q++;
    if (q < e && *q == '"') {
        lua_pushlstring(d->L, (const char *)s, (size_t)(q - s));
        d->p = (const char *)q + 1;
        return 0;
    }
    return string_slow(d, s, q);
}

#define DIGIT(p) ((p) < e && *(p) >= '0' && *(p) <= '9')

/* an optional fraction and exponent at p: the byte after them (*is_int
   cleared when there is either), or NULL after jd_fail */
static const char *fraction_exponent(jd *d, const char *p, int *is_int)
{
    const char *e = d->end;
    if (p < e && *p == '.') {
        *is_int = 0;
        p++;
        if (!DIGIT(p)) {
            jd_fail(d, p, "invalid number (no digit after the point)");
            return NULL;
        }
        while (DIGIT(p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (!DIGIT(p)) {
            jd_fail(d, p, "invalid number (no digit in the exponent)");
            return NULL;
        }
        while (DIGIT(p)) p++;
    }
    return p;
}

/* an integer literal of magnitude acc: pushed (1) when it fits a Lua
   integer (5.3+; any, as a double, before), else 0 */
static int push_int_literal(lua_State *L, uint64_t acc, int neg)
{
#if LUA_VERSION_NUM >= 503
    if (!neg && acc <= (uint64_t)LUA_MAXINTEGER) {
        lua_pushinteger(L, (lua_Integer)acc);
        return 1;
    }
    if (neg && acc <= (uint64_t)LUA_MAXINTEGER + 1) {
        lua_pushinteger(L, acc == (uint64_t)LUA_MAXINTEGER + 1 ? LUA_MININTEGER
                                                               : -(lua_Integer)acc);
        return 1;
    }
    return 0;
#else
    lua_pushnumber(L, neg ? -(lua_Number)acc : (lua_Number)acc);
    return 1;
#endif
}

/* the number text at s (len bytes, checked) through strtod: an integer on
   5.3+ when integral and exact, else a float; 0, or -1 after jd_fail */
static int push_strtod(jd *d, const char *s, size_t len)
{
    char *buf = scratch(d, len + 1), *end;
    double v;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (d->decpoint != '.') {     /* strtod follows the C locale's decimal point */
        char *dot = memchr(buf, '.', len);
        if (dot != NULL) *dot = d->decpoint;
    }
    v = strtod(buf, &end);
    if (end != buf + len)
        return jd_fail(d, s, "invalid number");
    if (isinf(v))
        return jd_fail(d, s, "number out of range");
#if LUA_VERSION_NUM >= 503
    if (v == floor(v) && v > -JD_EXACT && v < JD_EXACT) {
        lua_pushinteger(d->L, (lua_Integer)v);
        return 0;
    }
#endif
    lua_pushnumber(d->L, (lua_Number)v);
    return 0;
}

int jd_number(jd *d)
{
    const char *s = d->p, *p = s, *e = d->end;
    uint64_t acc = 0;
    int neg = 0, is_int = 1, overflow = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (!DIGIT(p))
        return jd_fail(d, p, "invalid number");
    if (*p == '0') {
        if (DIGIT(p + 1))
            return jd_fail(d, p, "invalid number (a leading zero)");
        p++;
    }
    for (; DIGIT(p); p++) {
        unsigned dg = (unsigned)(*p - '0');
        if (acc > (UINT64_MAX - dg) / 10)
            overflow = 1;
        else
            acc = acc * 10 + dg;
    }
    if ((p = fraction_exponent(d, p, &is_int)) == NULL)
        return -1;
    d->p = p;
    if (is_int && !overflow && push_int_literal(d->L, acc, neg))
        return 0;
    return push_strtod(d, s, (size_t)(p - s));
}
