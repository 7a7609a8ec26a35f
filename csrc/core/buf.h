/* djfast core: a growable byte buffer. Pure C99, no Python.h.
 *
 * Memory comes from malloc/realloc/free, so a buffer may be filled with the GIL released.
 * A buffer starts zeroed ({0}) or through djf_buf_init; djf_buf_free releases it and leaves
 * it empty and reusable.
 */
#ifndef DJF_BUF_H
#define DJF_BUF_H

#include "djf_common.h"

#include <string.h>

typedef struct djf_buf {
    char *data;
    size_t len;
    size_t cap;
} djf_buf;

/* Returns DJF_OK, or DJF_ENOMEM / DJF_EOVERFLOW; the buffer is left unchanged on failure. */
djf_status djf_buf_init(djf_buf *b, size_t capacity);

/* Releases the memory; the buffer is empty afterwards. Never fails. */
void djf_buf_free(djf_buf *b);

/* Makes room for at least `extra` more bytes. Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
djf_status djf_buf_reserve_slow(djf_buf *b, size_t extra);

/* Makes room for at least `extra` more bytes. Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
static inline djf_status djf_buf_reserve(djf_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra) {
        return DJF_OK;
    }
    return djf_buf_reserve_slow(b, extra);
}

/* Appends n bytes. Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
static inline djf_status djf_buf_append(djf_buf *b, const void *src, size_t n)
{
    djf_status st = djf_buf_reserve(b, n);
    if (st != DJF_OK) {
        return st;
    }
    if (n) {
        memcpy(b->data + b->len, src, n);
    }
    b->len += n;
    return DJF_OK;
}

/* Appends one byte. Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
static inline djf_status djf_buf_putc(djf_buf *b, char c)
{
    djf_status st = djf_buf_reserve(b, 1);
    if (st != DJF_OK) {
        return st;
    }
    b->data[b->len++] = c;
    return DJF_OK;
}

/* Drops everything but keeps the memory. Never fails. */
static inline void djf_buf_clear(djf_buf *b)
{
    b->len = 0;
}

/* Removes the first n bytes (n <= len), moving the rest to the front. Never fails. */
void djf_buf_consume(djf_buf *b, size_t n);

#endif
