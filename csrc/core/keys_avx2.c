/* djfast core: the AVX2 build of XXH3-128 for long inputs (see keys.h).
 *
 * The whole file is compiled for AVX2 with a target pragma (the rest of djfast keeps the
 * baseline flags), so XXH3's inline code below uses 256-bit vectors.
 * The entry point ends with an explicit vzeroupper (GCC does not insert one under a target
 * pragma), which keeps the upper vector state clean for CPython afterwards.
 * Callers must check djf_key_have_avx2() first.
 */
#include "keys.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define DJF_KEY_HAVE_X86 1
#endif

#ifdef DJF_KEY_HAVE_X86

int djf_key_have_avx2(void)
{
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

#define XXH_INLINE_ALL
#define XXH_VECTOR 2 /* XXH_AVX2 */
#include <immintrin.h>
#include <xxhash.h>

void djf_key_hash128_avx2(uint8_t out[16], const void *data, size_t n, const uint8_t *secret)
{
    XXH128_hash_t h;
    XXH128_canonical_t c;

    if (secret == NULL) {
        h = XXH3_128bits(data, n);
    } else {
        h = XXH3_128bits_withSecret(data, n, secret, DJF_KEY_SECRET_SIZE);
    }
    /* GCC does not insert vzeroupper for code built under a target pragma: do it here, after
     * the last vector instruction and before returning to baseline code. */
    _mm256_zeroupper();
    XXH128_canonicalFromHash(&c, h);
    memcpy(out, c.digest, 16);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else /* not x86 with GCC/clang: never selected */

int djf_key_have_avx2(void)
{
    return 0;
}

void djf_key_hash128_avx2(uint8_t out[16], const void *data, size_t n, const uint8_t *secret)
{
    (void)data;
    (void)n;
    (void)secret;
    memset(out, 0, 16);
}

#endif
