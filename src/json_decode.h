/*
 * json_decode.h - what json_decode.c (values, objects, arrays, the Lua
 * function) and json_scalar.c (strings, numbers) share. The decoder's
 * contract is at the top of json_decode.c.
 */
#ifndef MAUTIC_JSON_DECODE_H
#define MAUTIC_JSON_DECODE_H

#include "mcore.h"

#define JD_SMALL 128        /* scratch bytes on the C stack */

enum { JD_PLAIN, JD_FIELD, JD_TABLE };     /* what `order` asks for */
enum { JD_REC = 1, JD_KIDS = 2 };   /* per object: note its keys, look at its members */

typedef struct jd {
    lua_State *L;
    const char *start, *p, *end;
    const char *err, *err_at;
    const char *field;
    size_t field_len;
    int mode;
    int order_idx;          /* JD_TABLE: the order table; JD_FIELD: the result slot */
    int mt_idx;             /* the array metatable */
    int scratch_idx;        /* slot of the scratch userdata */
    int intern_idx;         /* share: text key -> table (and +1: -> where); 0: no sharing */
    size_t scratch_len;
    char *scratch;
    int depth;
    char decpoint;
    char small[JD_SMALL];
} jd;

static inline int jd_fail(jd *d, const char *at, const char *msg)
{
    d->err_at = at < d->end ? at : d->end;
    d->err = at < d->end ? msg : "unexpected end of input";
    return -1;
}

static inline void jd_skip_ws(jd *d)
{
    const char *p = d->p, *e = d->end;
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    d->p = p;
}

/* json_scalar.c: push the string or number at d->p; 0, or -1 after jd_fail */
int jd_string(jd *d);
int jd_number(jd *d);

#endif /* MAUTIC_JSON_DECODE_H */
