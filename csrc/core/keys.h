/* djfast core: cache-key safety scans and XXH3-128 hashing. Pure C99, no Python.h.
 *
 * memcached refuses keys longer than 250 bytes and keys holding a control byte, a space or
 * DEL (0x00-0x20, 0x7f). The scans below find those; the hash functions give the keyed
 * XXH3-128 digests behind djfast.cache.make_key, template fragment keys and ETags.
 * XXH3 is compiled inline from the system xxhash.h with our own flags (never the library's
 * *_dispatch entry points, whose AVX-512 code leaves the upper vector state dirty); inputs
 * long enough to matter use an AVX2 build when the CPU has it, which ends with vzeroupper.
 */
#ifndef DJF_KEYS_H
#define DJF_KEYS_H

#include "djf_common.h"

#define DJF_KEY_MAX_LEN     250 /* memcached's limit, in bytes */
#define DJF_KEY_SECRET_SIZE 192 /* XXH3_SECRET_DEFAULT_SIZE */
#define DJF_KEY_HEX_LEN     32  /* 128 bits as lowercase hex */

/* Problem bits returned by djf_key_check. */
#define DJF_KEY_TOO_LONG  1 /* more than DJF_KEY_MAX_LEN units */
#define DJF_KEY_FORBIDDEN 2 /* holds a unit in 0x00-0x20 or 0x7f */
#define DJF_KEY_SURROGATE 4 /* holds a lone surrogate (no strict UTF-8 form) */

/* Returns 1 if a unit of s is 0x00-0x20 or 0x7f, else 0. */
int djf_key_forbidden_u8(const uint8_t *s, size_t n);
int djf_key_forbidden_u16(const uint16_t *s, size_t n);
int djf_key_forbidden_u32(const uint32_t *s, size_t n);

/* Returns 1 if a code point of s is a surrogate (0xD800-0xDFFF), else 0. */
int djf_key_surrogate_u16(const uint16_t *s, size_t n);
int djf_key_surrogate_u32(const uint32_t *s, size_t n);

/* Returns the problem bits (0 when safe) of a key of n bytes (or code points). */
int djf_key_check(const uint8_t *s, size_t n);

/* Returns the UTF-8 length of n code points; surrogates count 3 bytes ("surrogatepass").
 * Never overflows for n below SIZE_MAX / 4. */
size_t djf_key_utf8_len_u8(const uint8_t *s, size_t n);
size_t djf_key_utf8_len_u16(const uint16_t *s, size_t n);
size_t djf_key_utf8_len_u32(const uint32_t *s, size_t n);

/* Derives a DJF_KEY_SECRET_SIZE-byte XXH3 secret from material of any non-zero length
 * (XXH3_generateSecret). Returns DJF_OK, or DJF_EINVAL when n is 0 or material is NULL. */
djf_status djf_key_secret_init(uint8_t secret[DJF_KEY_SECRET_SIZE], const void *material, size_t n);

/* Writes the keyed XXH3-128 of data in canonical (big-endian) byte order. Never fails. */
void djf_key_hash128(uint8_t out[16], const void *data, size_t n,
                     const uint8_t secret[DJF_KEY_SECRET_SIZE]);

/* Writes the unkeyed (seed 0) XXH3-128 of data in canonical byte order. Never fails. */
void djf_key_hash128_plain(uint8_t out[16], const void *data, size_t n);

/* Writes the 16 bytes as 32 lowercase hex digits (no terminator). */
void djf_key_hex(char out[DJF_KEY_HEX_LEN], const uint8_t digest[16]);

/* The AVX2 build of the long-input hashes (keys_avx2.c); only called when
 * djf_key_have_avx2() says the CPU runs it. */
int djf_key_have_avx2(void);
void djf_key_hash128_avx2(uint8_t out[16], const void *data, size_t n, const uint8_t *secret);

#endif
