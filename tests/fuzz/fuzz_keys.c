/* libFuzzer harness: cache-key scans and hashes (csrc/core/keys.c, keys_avx2.c).
 *
 * - the forbidden-byte, surrogate and UTF-8 length scans, for 1-, 2- and 4-byte units, against
 *   plain loops;
 * - djf_key_check against its definition (length in bytes, forbidden bytes);
 * - the keyed and plain XXH3-128 (and the AVX2 build when the CPU has it) against libxxhash's
 *   own XXH3_128bits_withSecret / XXH3_128bits, in canonical byte order, and the hex form. */
#include "fuzz_common.h"
#include "keys.h"

#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_generateSecret */
#include <xxhash.h>

static int forbidden(uint32_t c)
{
    return c <= 0x20 || c == 0x7f;
}

static size_t u8_len(uint32_t c)
{
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

static void check_scans(const uint8_t *p, size_t n)
{
    size_t n16 = n / 2;
    size_t n32 = n / 4;
    uint16_t *u16 = malloc(n16 * 2 + 2);
    uint32_t *u32 = malloc(n32 * 4 + 4);
    int want_bad = 0;
    int want_sur = 0;
    size_t want_len = 0;
    size_t i;

    FUZZ_CHECK(u16 != NULL && u32 != NULL);
    for (i = 0; i < n; i++) {
        want_bad |= forbidden(p[i]);
        want_len += u8_len(p[i]);
    }
    FUZZ_CHECK(djf_key_forbidden_u8(p, n) == want_bad);
    FUZZ_CHECK(djf_key_utf8_len_u8(p, n) == want_len);
    FUZZ_CHECK(djf_key_check(p, n) == ((n > DJF_KEY_MAX_LEN ? DJF_KEY_TOO_LONG : 0) |
                                       (want_bad ? DJF_KEY_FORBIDDEN : 0)));
    want_bad = 0;
    want_len = 0;
    for (i = 0; i < n16; i++) {
        u16[i] = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
        want_bad |= forbidden(u16[i]);
        want_sur |= u16[i] >= 0xD800 && u16[i] <= 0xDFFF;
        want_len += u8_len(u16[i]);
    }
    FUZZ_CHECK(djf_key_forbidden_u16(u16, n16) == want_bad);
    FUZZ_CHECK(djf_key_surrogate_u16(u16, n16) == want_sur);
    FUZZ_CHECK(djf_key_utf8_len_u16(u16, n16) == want_len);
    want_bad = 0;
    want_sur = 0;
    want_len = 0;
    for (i = 0; i < n32; i++) {
        memcpy(&u32[i], p + 4 * i, 4);
        u32[i] %= 0x110000;
        want_bad |= forbidden(u32[i]);
        want_sur |= u32[i] >= 0xD800 && u32[i] <= 0xDFFF;
        want_len += u8_len(u32[i]);
    }
    FUZZ_CHECK(djf_key_forbidden_u32(u32, n32) == want_bad);
    FUZZ_CHECK(djf_key_surrogate_u32(u32, n32) == want_sur);
    FUZZ_CHECK(djf_key_utf8_len_u32(u32, n32) == want_len);
    free(u16);
    free(u32);
}

static void check_hashes(const uint8_t *material, size_t mn, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t secret[DJF_KEY_SECRET_SIZE];
    uint8_t ref_secret[DJF_KEY_SECRET_SIZE];
    uint8_t out[16];
    XXH128_canonical_t canon;
    char text[DJF_KEY_HEX_LEN];
    size_t i;

    if (mn == 0) {
        FUZZ_CHECK(djf_key_secret_init(secret, material, 0) == DJF_EINVAL);
        return;
    }
    FUZZ_CHECK(djf_key_secret_init(secret, material, mn) == DJF_OK);
    FUZZ_CHECK(XXH3_generateSecret(ref_secret, sizeof ref_secret, material, mn) == XXH_OK);
    FUZZ_CHECK(memcmp(secret, ref_secret, sizeof secret) == 0);
    djf_key_hash128(out, p, n, secret);
    XXH128_canonicalFromHash(&canon, XXH3_128bits_withSecret(p, n, ref_secret, sizeof ref_secret));
    FUZZ_CHECK(memcmp(out, canon.digest, 16) == 0);
    if (djf_key_have_avx2()) {
        uint8_t avx[16];

        djf_key_hash128_avx2(avx, p, n, secret);
        FUZZ_CHECK(memcmp(avx, out, 16) == 0);
    }
    djf_key_hex(text, out);
    for (i = 0; i < 16; i++) {
        FUZZ_CHECK(text[2 * i] == hex[out[i] >> 4] && text[2 * i + 1] == hex[out[i] & 15]);
    }
    djf_key_hash128_plain(out, p, n);
    XXH128_canonicalFromHash(&canon, XXH3_128bits(p, n));
    FUZZ_CHECK(memcmp(out, canon.digest, 16) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    size_t mn = fuzz_byte(&in) % 64;
    const uint8_t *material;

    mn = fuzz_take(&in, mn, &material);
    check_scans(in.p, in.n);
    check_hashes(material, mn, in.p, in.n);
    return 0;
}
