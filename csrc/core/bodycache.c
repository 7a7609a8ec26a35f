/* djfast core: the compressed-body cache store (see bodycache.h). */
#include "bodycache.h"

#include <stdlib.h>
#include <string.h>

#define DJF_BC_MIN_BUCKETS 64

/* Reads 8 bytes of a digest as a little-endian integer (any byte order works: it only picks
 * buckets and fingerprints). */
static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Mixes the tag into the first half of the digest: one coding's key never matches another's. */
static uint64_t key_hash(const djf_bc_key *key)
{
    return load64(key->digest) ^ ((uint64_t)key->tag * 0x9E3779B97F4A7C15u);
}

static int key_eq(const djf_bc_key *a, const djf_bc_key *b)
{
    return a->tag == b->tag && memcmp(a->digest, b->digest, sizeof a->digest) == 0;
}

void djf_bodycache_init(djf_bodycache *c, size_t max_bytes)
{
    memset(c, 0, sizeof(*c));
    c->max_bytes = max_bytes;
}

void djf_bodycache_clear(djf_bodycache *c)
{
    djf_bc_entry *e = c->mru;

    while (e != NULL) {
        djf_bc_entry *next = e->next;
        free(e);
        e = next;
    }
    free(c->buckets);
    c->buckets = NULL;
    c->n_buckets = 0;
    c->count = 0;
    c->mru = NULL;
    c->lru = NULL;
    c->bytes = 0;
    memset(c->seen, 0, sizeof c->seen);
}

size_t djf_bodycache_max_charge(const djf_bodycache *c)
{
    return c->max_bytes / 4;
}

int djf_bodycache_may_store(const djf_bodycache *c, size_t body_len)
{
    size_t limit = djf_bodycache_max_charge(c);

    if (limit <= sizeof(djf_bc_entry)) {
        return 0;
    }
    return body_len <= (limit - sizeof(djf_bc_entry)) / 2;
}

/* Unlinks e from the LRU list. */
static void lru_unlink(djf_bodycache *c, djf_bc_entry *e)
{
    if (c->mru == e) {
        c->mru = e->next;
    } else {
        e->prev->next = e->next;
    }
    if (c->lru == e) {
        c->lru = e->prev;
    } else {
        e->next->prev = e->prev;
    }
    e->prev = NULL;
    e->next = NULL;
}

/* Puts e at the most recently used end. */
static void lru_push(djf_bodycache *c, djf_bc_entry *e)
{
    e->prev = NULL;
    e->next = c->mru;
    if (c->mru != NULL) {
        c->mru->prev = e;
    } else {
        c->lru = e;
    }
    c->mru = e;
}

/* Returns the address of the bucket slot that points at e (e must be in the table). */
static djf_bc_entry **slot_of(djf_bodycache *c, const djf_bc_entry *e)
{
    djf_bc_entry **p = &c->buckets[key_hash(&e->key) & (c->n_buckets - 1)];

    while (*p != e) {
        p = &(*p)->chain;
    }
    return p;
}

/* Removes e from the table and the list, frees it and uncharges it. */
static void remove_entry(djf_bodycache *c, djf_bc_entry *e)
{
    djf_bc_entry **p = slot_of(c, e);

    *p = e->chain;
    lru_unlink(c, e);
    c->bytes -= e->charge;
    c->count--;
    free(e);
}

/* Doubles the bucket array when the table is full; a failed allocation keeps the old one
 * (longer chains, still correct). Never fails. */
static void maybe_grow(djf_bodycache *c)
{
    size_t n = c->n_buckets ? c->n_buckets * 2 : DJF_BC_MIN_BUCKETS;
    djf_bc_entry **nb = NULL;
    djf_bc_entry *e = NULL;

    if (c->n_buckets != 0 && (c->count < c->n_buckets || n > SIZE_MAX / sizeof(djf_bc_entry *))) {
        return;
    }
    nb = calloc(n, sizeof(djf_bc_entry *));
    if (nb == NULL) {
        return;
    }
    for (e = c->mru; e != NULL; e = e->next) {
        djf_bc_entry **slot = &nb[key_hash(&e->key) & (n - 1)];
        e->chain = *slot;
        *slot = e;
    }
    free(c->buckets);
    c->buckets = nb;
    c->n_buckets = n;
}

/* Returns the entry stored under key, or NULL. */
static djf_bc_entry *find(const djf_bodycache *c, const djf_bc_key *key)
{
    djf_bc_entry *e = NULL;

    if (c->n_buckets == 0) {
        return NULL;
    }
    for (e = c->buckets[key_hash(key) & (c->n_buckets - 1)]; e != NULL; e = e->chain) {
        if (key_eq(&e->key, key)) {
            return e;
        }
    }
    return NULL;
}

const djf_bc_entry *djf_bodycache_get(djf_bodycache *c, const djf_bc_key *key, const uint8_t *body,
                                      size_t n)
{
    djf_bc_entry *e = find(c, key);

    /* the digest only finds the candidate: the body itself must match */
    if (e == NULL || e->body_len != n || (n != 0 && memcmp(e->data, body, n) != 0)) {
        c->misses++;
        return NULL;
    }
    c->hits++;
    if (c->mru != e) {
        lru_unlink(c, e);
        lru_push(c, e);
    }
    return e;
}

int djf_bodycache_admit(djf_bodycache *c, const djf_bc_key *key)
{
    uint64_t fp = load64(key->digest + 8) ^ key->tag;
    size_t slot = (size_t)(key_hash(key) & (DJF_BC_SEEN_SLOTS - 1));

    fp |= 1u; /* 0 marks an empty slot */
    if (c->seen[slot] == fp) {
        c->seen[slot] = 0;
        c->admissions++;
        return 1;
    }
    c->seen[slot] = fp;
    return 0;
}

djf_status djf_bodycache_put(djf_bodycache *c, const djf_bc_key *key, const uint8_t *body, size_t n,
                             const uint8_t *payload, size_t plen, uint32_t crc)
{
    size_t charge = sizeof(djf_bc_entry);
    djf_bc_entry *e = NULL;
    djf_bc_entry *old = NULL;
    djf_bc_entry **slot = NULL;

    if (!djf_add_size(charge, n, &charge) || !djf_add_size(charge, plen, &charge)) {
        return DJF_EOVERFLOW;
    }
    if (charge > djf_bodycache_max_charge(c)) {
        return DJF_EINVAL;
    }
    e = malloc(charge);
    if (e == NULL) {
        return DJF_ENOMEM;
    }
    memset(e, 0, sizeof(*e));
    e->key = *key;
    e->crc = crc;
    e->body_len = n;
    e->payload_len = plen;
    e->charge = charge;
    if (n != 0) {
        memcpy(e->data, body, n);
    }
    if (plen != 0) {
        memcpy(e->data + n, payload, plen);
    }
    old = find(c, key);
    if (old != NULL) {
        remove_entry(c, old); /* two threads stored the same body, or a digest collision */
    }
    while (c->lru != NULL && c->bytes + charge > c->max_bytes) {
        remove_entry(c, c->lru);
        c->evictions++;
    }
    maybe_grow(c);
    if (c->n_buckets == 0) {
        free(e);
        return DJF_ENOMEM;
    }
    slot = &c->buckets[key_hash(key) & (c->n_buckets - 1)];
    e->chain = *slot;
    *slot = e;
    lru_push(c, e);
    c->bytes += charge;
    c->count++;
    return DJF_OK;
}
