/* Shared helpers of the libFuzzer harnesses (tests/fuzz): a byte reader over the input and a
 * check that aborts with a message, so the fuzzer records a finding. */
#ifndef DJF_FUZZ_COMMON_H
#define DJF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

/* Takes one byte (0 when the input is used up). */
static inline uint8_t fuzz_byte(fuzz_in *in)
{
    uint8_t b = 0;

    if (in->n) {
        b = *in->p++;
        in->n--;
    }
    return b;
}

/* Takes up to `want` bytes; returns how many were taken, pointing *out at them. */
static inline size_t fuzz_take(fuzz_in *in, size_t want, const uint8_t **out)
{
    size_t n = want < in->n ? want : in->n;

    *out = in->p;
    in->p += n;
    in->n -= n;
    return n;
}

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
