/*
 * buffer.c - growable byte buffers for response headers and bodies.
 */
#include <stdlib.h>
#include <string.h>

#include "mcore.h"

/* append n bytes; -1 when out of memory (the buffer is left as it was) */
int mc_buf_add(mc_buf *b, const char *p, size_t n)
{
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 1024;
        char *d;
        while (cap - b->len < n) {
            if (cap > ((size_t)-1) / 2)
                return -1;
            cap *= 2;
        }
        d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* empty the buffer for the next answer; its memory is kept when it is no
   larger than `keep`, so a session does not allocate anew for every answer
   yet never holds on to a large one */
void mc_buf_clear(mc_buf *b, size_t keep)
{
    if (b->cap > keep)
        mc_buf_free(b);
    b->len = 0;
}

void mc_buf_free(mc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
