/* djfast core: shared status codes and size helpers. Pure C99, no Python.h. */
#ifndef DJF_COMMON_H
#define DJF_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Every core function that can fail returns one of these (0 on success). */
typedef enum djf_status {
    DJF_OK = 0,
    DJF_ENOMEM = -1,    /* an allocation failed */
    DJF_EOVERFLOW = -2, /* a size computation would overflow */
    DJF_EINVAL = -3,    /* bad argument (documented per function) */
    DJF_ELIB = -4       /* the underlying library reported an error */
} djf_status;

/* Returns 1 and stores a + b in *out, or 0 if it would overflow. */
static inline int djf_add_size(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b) {
        return 0;
    }
    *out = a + b;
    return 1;
}

/* Returns 1 and stores a * b in *out, or 0 if it would overflow. */
static inline int djf_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return 0;
    }
    *out = a * b;
    return 1;
}

#endif
