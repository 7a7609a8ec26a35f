/* djfast core: cache-key safety scans and XXH3-128 hashing (see keys.h). */
#include "keys.h"

#include "fmt.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <string.h>

/* Below this many bytes XXH3 stays on its scalar short-input paths; vectors only pay above. */
#define DJF_KEY_VECTOR_MIN 1024

static int is_forbidden(uint32_t c)
{
    return c <= 0x20 || c == 0x7f;
}

/* Eight bytes at a time: a byte below 0x21 (SWAR "has less than") or equal to 0x7f ("has
 * zero" after xor). Both tests are exact as booleans for any byte values. */
#define DJF_ONES  UINT64_C(0x0101010101010101)
#define DJF_HIGHS UINT64_C(0x8080808080808080)

static int word_has_forbidden(uint64_t w)
{
    uint64_t below = (w - DJF_ONES * 0x21) & ~w & DJF_HIGHS;
    uint64_t del = w ^ (DJF_ONES * 0x7f);

    return (below | ((del - DJF_ONES) & ~del & DJF_HIGHS)) != 0;
}

int djf_key_forbidden_u8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    uint64_t w;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_has_forbidden(w)) {
            return 1;
        }
    }
    for (; i < n; i++) {
        if (is_forbidden(s[i])) {
            return 1;
        }
    }
    return 0;
}

int djf_key_forbidden_u16(const uint16_t *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (is_forbidden(s[i])) {
            return 1;
        }
    }
    return 0;
}

int djf_key_forbidden_u32(const uint32_t *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (is_forbidden(s[i])) {
            return 1;
        }
    }
    return 0;
}

int djf_key_surrogate_u16(const uint16_t *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] >= 0xd800 && s[i] <= 0xdfff) {
            return 1;
        }
    }
    return 0;
}

int djf_key_surrogate_u32(const uint32_t *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] >= 0xd800 && s[i] <= 0xdfff) {
            return 1;
        }
    }
    return 0;
}

int djf_key_check(const uint8_t *s, size_t n)
{
    int problems = 0;

    if (n > DJF_KEY_MAX_LEN) {
        problems |= DJF_KEY_TOO_LONG;
    }
    if (djf_key_forbidden_u8(s, n)) {
        problems |= DJF_KEY_FORBIDDEN;
    }
    return problems;
}

size_t djf_key_utf8_len_u8(const uint8_t *s, size_t n)
{
    size_t len = n;
    size_t i;

    for (i = 0; i < n; i++) {
        len += s[i] >> 7;
    }
    return len;
}

size_t djf_key_utf8_len_u16(const uint16_t *s, size_t n)
{
    size_t len = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        len += s[i] < 0x80 ? 1 : s[i] < 0x800 ? 2 : 3;
    }
    return len;
}

size_t djf_key_utf8_len_u32(const uint32_t *s, size_t n)
{
    size_t len = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        len += s[i] < 0x80 ? 1 : s[i] < 0x800 ? 2 : s[i] < 0x10000 ? 3 : 4;
    }
    return len;
}

djf_status djf_key_secret_init(uint8_t secret[DJF_KEY_SECRET_SIZE], const void *material, size_t n)
{
    if (material == NULL || n == 0) {
        return DJF_EINVAL;
    }
    if (XXH3_generateSecret(secret, DJF_KEY_SECRET_SIZE, material, n) != XXH_OK) {
        return DJF_ELIB;
    }
    return DJF_OK;
}

static void store_canonical(uint8_t out[16], XXH128_hash_t h)
{
    XXH128_canonical_t c;

    XXH128_canonicalFromHash(&c, h);
    memcpy(out, c.digest, 16);
}

void djf_key_hash128(uint8_t out[16], const void *data, size_t n,
                     const uint8_t secret[DJF_KEY_SECRET_SIZE])
{
    if (n >= DJF_KEY_VECTOR_MIN && djf_key_have_avx2()) {
        djf_key_hash128_avx2(out, data, n, secret);
        return;
    }
    store_canonical(out, XXH3_128bits_withSecret(data, n, secret, DJF_KEY_SECRET_SIZE));
}

void djf_key_hash128_plain(uint8_t out[16], const void *data, size_t n)
{
    if (n >= DJF_KEY_VECTOR_MIN && djf_key_have_avx2()) {
        djf_key_hash128_avx2(out, data, n, NULL);
        return;
    }
    store_canonical(out, XXH3_128bits(data, n));
}

void djf_key_hex(char out[DJF_KEY_HEX_LEN], const uint8_t digest[16])
{
    (void)djf_fmt_hex(out, digest, 16);
}
