/* djfast core: growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdlib.h>

djf_status djf_buf_init(djf_buf *b, size_t capacity)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    if (capacity == 0) {
        return DJF_OK;
    }
    return djf_buf_reserve_slow(b, capacity);
}

void djf_buf_free(djf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

djf_status djf_buf_reserve_slow(djf_buf *b, size_t extra)
{
    size_t need;
    size_t cap;
    char *data;

    if (!djf_add_size(b->len, extra, &need)) {
        return DJF_EOVERFLOW;
    }
    if (need <= b->cap) {
        return DJF_OK;
    }
    cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    data = realloc(b->data, cap);
    if (data == NULL) {
        return DJF_ENOMEM;
    }
    b->data = data;
    b->cap = cap;
    return DJF_OK;
}

void djf_buf_consume(djf_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}
