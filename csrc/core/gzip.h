/* djfast core: gzip framing (RFC 1952) around raw deflate, as Python's gzip module writes it.
 * Pure C99, no Python.h.
 *
 * A member is: a 10-byte header (ID1 ID2 CM FLG MTIME=0 XFL OS=255), optionally an FNAME field
 * (name bytes + NUL), the raw deflate stream, and an 8-byte trailer (CRC-32, ISIZE, both
 * little-endian). Django's BREACH padding is an FNAME of `name_len` bytes b'a'.
 *
 * Whole bodies go through libdeflate in one call; streams through one zlib deflate stream that
 * makes exactly one member (djf_gzstream).
 */
#ifndef DJF_GZIP_H
#define DJF_GZIP_H

#include "buf.h"
#include "djf_common.h"

#include <stddef.h>
#include <stdint.h>

#define DJF_GZIP_HEADER_SIZE  10
#define DJF_GZIP_TRAILER_SIZE 8
#define DJF_GZIP_FNAME        0x08

struct libdeflate_compressor;

/* Header fields: fname = 0 writes no FNAME field (name_len ignored); fname = 1 sets the FNAME
 * flag and writes name_len bytes 'a' and a NUL (an empty name when name_len is 0). `os` is the
 * OS byte: Python's GzipFile writes 255, zlib (so gzip.compress(mtime=0) on 3.11) writes 3. */
typedef struct djf_gzip_name {
    int fname;
    size_t name_len;
    uint8_t os;
} djf_gzip_name;

/* Returns DJF_OK and stores the header size (10, or 10 + name_len + 1) in *out,
 * or DJF_EOVERFLOW. */
djf_status djf_gzip_header_size(djf_gzip_name name, size_t *out);

/* Writes the header (size from djf_gzip_header_size) to dst; `level` picks XFL as Python and
 * zlib do (9 -> 2, 1 -> 4, else 0). Never fails. */
void djf_gzip_write_header(uint8_t *dst, djf_gzip_name name, int level);

/* Appends the header to out (growing it). Returns DJF_OK, DJF_EOVERFLOW or DJF_ENOMEM; out is
 * unchanged on error. Every stream engine begins its member with it. */
djf_status djf_gzip_append_header(djf_buf *out, djf_gzip_name name, int level);

/* Writes the 8-byte trailer (crc32 and isize = input length mod 2^32). Never fails. */
void djf_gzip_write_trailer(uint8_t *dst, uint32_t crc, uint64_t isize);

/* Returns DJF_OK and the worst-case size of a whole member for n input bytes in *out,
 * or DJF_EOVERFLOW. `c` may be NULL (libdeflate's bound for any compressor). */
djf_status djf_gzip_bound(struct libdeflate_compressor *c, djf_gzip_name name, size_t n,
                          size_t *out);

/* Compresses in[0..n) into one gzip member at dst (cap bytes, at least djf_gzip_bound).
 * Returns DJF_OK and the member size in *out_len, DJF_EINVAL if cap is too small, or
 * DJF_ELIB. Touches no Python object: may run with the GIL released. */
djf_status djf_gzip_compress(struct libdeflate_compressor *c, int level, djf_gzip_name name,
                             const uint8_t *in, size_t n, uint8_t *dst, size_t cap,
                             size_t *out_len);

/* ---- streaming: one zlib deflate stream, one gzip member ---- */

typedef enum djf_flush {
    DJF_FLUSH_NONE = 0,  /* compress, emit whatever deflate produces */
    DJF_FLUSH_SYNC = 1,  /* Z_SYNC_FLUSH: everything so far is decodable by the client */
    DJF_FLUSH_FINISH = 2 /* end the member: final block and trailer */
} djf_flush;

typedef struct djf_gzstream {
    void *zs; /* z_stream *, malloc'd; NULL before init and after free */
    uint32_t crc;
    uint64_t isize;
    djf_gzip_name name;
    int level;
    int header_done;
    int finished;
} djf_gzstream;

/* Prepares a stream (level 1..9). Returns DJF_OK, DJF_ENOMEM, DJF_EINVAL or DJF_ELIB; on
 * failure the stream holds nothing. */
djf_status djf_gzstream_init(djf_gzstream *s, int level, djf_gzip_name name);

/* Appends the member header to out unless it was already written (a stream can send it at
 * once, as Django's compress_sequence does, before any input arrives). Returns DJF_OK,
 * DJF_ENOMEM, DJF_EOVERFLOW, or DJF_EINVAL after finish/free. */
djf_status djf_gzstream_begin(djf_gzstream *s, djf_buf *out);

/* Compresses in[0..n) and appends the produced bytes (the header first, on the first call) to
 * out. FINISH also appends the trailer; afterwards only djf_gzstream_free is allowed
 * (DJF_EINVAL). Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW, DJF_EINVAL or DJF_ELIB. Touches no
 * Python object. */
djf_status djf_gzstream_write(djf_gzstream *s, const uint8_t *in, size_t n, djf_flush mode,
                              djf_buf *out);

/* Releases the zlib state; safe to call twice or after a failed init. Never fails. */
void djf_gzstream_free(djf_gzstream *s);

#endif
