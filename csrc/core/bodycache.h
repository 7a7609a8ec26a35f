/* djfast core: the compressed-body cache store (compress once, serve many). Pure C99, no
 * Python.h, no locking: the binding (csrc/py/compress_cache.c) holds a mutex around every call.
 *
 * An entry maps a key (a keyed 128-bit digest of the body, plus a tag naming the coding and the
 * level) to a copy of the body and its compressed payload: the raw deflate stream and CRC-32 for
 * gzip (the caller frames it with a fresh header per hit), the whole frame for zstd. A lookup
 * compares the stored body with the caller's byte for byte, so a digest collision can never
 * serve another body's payload.
 *
 * Memory is bounded: each entry is charged its struct, body and payload, and the least recently
 * used entries are evicted until a new one fits. An entry may take at most a quarter of the
 * bound, so one large body cannot empty the cache.
 *
 * Admission: a body is stored only when its key is seen for the second time. A small
 * direct-mapped table of key fingerprints remembers the recent first sightings, so a flood of
 * one-off bodies costs one hash and one table write each, and never allocates.
 */
#ifndef DJF_BODYCACHE_H
#define DJF_BODYCACHE_H

#include "djf_common.h"

#include <stddef.h>
#include <stdint.h>

#define DJF_BC_SEEN_SLOTS 4096 /* admission table: first sightings remembered (power of 2) */

typedef struct djf_bc_key {
    uint8_t digest[16]; /* keyed XXH3-128 of the body */
    uint32_t tag;       /* coding and level, chosen by the caller */
} djf_bc_key;

typedef struct djf_bc_entry {
    struct djf_bc_entry *chain; /* next entry in the same hash bucket */
    struct djf_bc_entry *prev;  /* LRU list: toward the most recently used */
    struct djf_bc_entry *next;  /* LRU list: toward the least recently used */
    djf_bc_key key;
    uint32_t crc;       /* CRC-32 of the body (gzip trailer); 0 when unused */
    size_t body_len;    /* body bytes at data[0] */
    size_t payload_len; /* payload bytes at data[body_len] */
    size_t charge;      /* bytes counted against the bound */
    uint8_t data[];     /* body, then payload */
} djf_bc_entry;

typedef struct djf_bodycache {
    djf_bc_entry **buckets;
    size_t n_buckets; /* power of 2, or 0 before the first insert */
    size_t count;
    djf_bc_entry *mru; /* most recently used */
    djf_bc_entry *lru; /* least recently used: evicted first */
    size_t bytes;      /* sum of the entries' charges, at most max_bytes */
    size_t max_bytes;
    uint64_t seen[DJF_BC_SEEN_SLOTS];
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
    uint64_t admissions;
} djf_bodycache;

/* Prepares an empty cache bounded by max_bytes (0: stores nothing). Never fails. */
void djf_bodycache_init(djf_bodycache *c, size_t max_bytes);

/* Frees every entry and the table; the cache is empty (counters kept). Never fails. */
void djf_bodycache_clear(djf_bodycache *c);

/* Returns the largest charge one entry may have (a quarter of the bound). */
size_t djf_bodycache_max_charge(const djf_bodycache *c);

/* Returns 1 if an entry for a body of body_len bytes could ever be stored, judged with the
 * worst case that its payload is as long as the body; else 0. Never fails. */
int djf_bodycache_may_store(const djf_bodycache *c, size_t body_len);

/* Looks up key with body[0..n): returns the entry (valid until the next call that changes the
 * cache) and marks it most recently used, or NULL. Counts a hit or a miss. Never fails. */
const djf_bc_entry *djf_bodycache_get(djf_bodycache *c, const djf_bc_key *key, const uint8_t *body,
                                      size_t n);

/* Admission on second sighting: returns 1 if key was seen since its slot was last overwritten
 * (store the body now), else remembers it and returns 0. Never fails. */
int djf_bodycache_admit(djf_bodycache *c, const djf_bc_key *key);

/* Stores a copy of body[0..n) and payload[0..plen) under key, replacing an entry with the same
 * key, evicting least recently used entries until the bound holds. Returns DJF_OK, DJF_EINVAL
 * when the entry is larger than djf_bodycache_max_charge (nothing changes), DJF_EOVERFLOW or
 * DJF_ENOMEM (nothing is stored). */
djf_status djf_bodycache_put(djf_bodycache *c, const djf_bc_key *key, const uint8_t *body, size_t n,
                             const uint8_t *payload, size_t plen, uint32_t crc);

#endif
