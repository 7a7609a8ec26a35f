/* libFuzzer harness: the compressed-body cache store (csrc/core/bodycache.c).
 *
 * The input is a sequence of operations (put, get, admit, clear) on a small cache, replayed on a
 * plain reference model (an array in recency order). After every operation the store must agree
 * with the model: the same entries, bytes within the bound, the same eviction count; a get must
 * return exactly the payload stored for that body, and a body that merely shares a key (a forced
 * digest collision) must miss; admit may only say yes for a key seen before. */
#include "bodycache.h"
#include "fuzz_common.h"

#include <string.h>

#define MODEL_MAX 256

typedef struct model_entry {
    uint8_t key;
    uint8_t tag;
    const uint8_t *body;
    size_t n;
    const uint8_t *payload;
    size_t plen;
    size_t charge;
} model_entry;

typedef struct model {
    model_entry e[MODEL_MAX]; /* e[0] most recently used */
    size_t count;
    size_t bytes;
    uint64_t evictions;
    uint8_t seen[256][4]; /* first sightings not yet admitted, per key and tag */
} model;

static djf_bc_key make_key(uint8_t k, uint8_t tag)
{
    djf_bc_key key;
    int i;

    memset(&key, 0, sizeof key);
    for (i = 0; i < 16; i++) {
        key.digest[i] = (uint8_t)(k * 31u + (unsigned)i * 7u);
    }
    key.tag = tag;
    return key;
}

static void model_remove(model *m, size_t i)
{
    m->bytes -= m->e[i].charge;
    memmove(&m->e[i], &m->e[i + 1], (m->count - i - 1) * sizeof(model_entry));
    m->count--;
}

static long model_find(const model *m, uint8_t k, uint8_t tag)
{
    size_t i;

    for (i = 0; i < m->count; i++) {
        if (m->e[i].key == k && m->e[i].tag == tag) {
            return (long)i;
        }
    }
    return -1;
}

static void model_to_front(model *m, size_t i)
{
    model_entry tmp = m->e[i];

    memmove(&m->e[1], &m->e[0], i * sizeof(model_entry));
    m->e[0] = tmp;
}

static void check_same(const djf_bodycache *c, const model *m)
{
    FUZZ_CHECK(c->count == m->count);
    FUZZ_CHECK(c->bytes == m->bytes);
    FUZZ_CHECK(c->bytes <= c->max_bytes);
    FUZZ_CHECK(c->evictions == m->evictions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    djf_bodycache *c = malloc(sizeof(*c));
    model *m = calloc(1, sizeof(*m));
    size_t max_bytes = sizeof(djf_bc_entry) * 4 + (size_t)fuzz_byte(&in) * 16;

    FUZZ_CHECK(c != NULL && m != NULL);
    djf_bodycache_init(c, max_bytes);
    while (in.n > 0) {
        uint8_t op = fuzz_byte(&in) % 4;
        uint8_t k = fuzz_byte(&in) % 8;
        uint8_t tag = fuzz_byte(&in) % 2;
        djf_bc_key key = make_key(k, tag);
        const uint8_t *body = NULL;
        size_t n = fuzz_take(&in, fuzz_byte(&in) % 64, &body);

        if (op == 0) {
            const uint8_t *payload = NULL;
            size_t plen = fuzz_take(&in, fuzz_byte(&in) % 64, &payload);
            size_t charge = sizeof(djf_bc_entry) + n + plen;
            djf_status st = djf_bodycache_put(c, &key, body, n, payload, plen, (uint32_t)n);

            if (charge > djf_bodycache_max_charge(c)) {
                FUZZ_CHECK(st == DJF_EINVAL);
            } else {
                long old = model_find(m, k, tag);
                FUZZ_CHECK(st == DJF_OK);
                if (old >= 0) {
                    model_remove(m, (size_t)old);
                }
                while (m->count > 0 && m->bytes + charge > max_bytes) {
                    model_remove(m, m->count - 1);
                    m->evictions++;
                }
                FUZZ_CHECK(m->count < MODEL_MAX);
                memmove(&m->e[1], &m->e[0], m->count * sizeof(model_entry));
                m->e[0] = (model_entry){k, tag, body, n, payload, plen, charge};
                m->count++;
                m->bytes += charge;
            }
        } else if (op == 1) {
            const djf_bc_entry *e = djf_bodycache_get(c, &key, body, n);
            long i = model_find(m, k, tag);
            int want = i >= 0 && m->e[i].n == n && (n == 0 || memcmp(m->e[i].body, body, n) == 0);

            FUZZ_CHECK((e != NULL) == want);
            if (want) {
                FUZZ_CHECK(e->payload_len == m->e[i].plen);
                FUZZ_CHECK(m->e[i].plen == 0 ||
                           memcmp(e->data + e->body_len, m->e[i].payload, m->e[i].plen) == 0);
                FUZZ_CHECK(e->crc == (uint32_t)n);
                model_to_front(m, (size_t)i);
            }
        } else if (op == 2) {
            int yes = djf_bodycache_admit(c, &key);
            FUZZ_CHECK(!yes || m->seen[k][tag]);
            m->seen[k][tag] = !yes;
        } else if (n == 0) { /* clear, now and then */
            djf_bodycache_clear(c);
            memset(m->e, 0, sizeof m->e);
            memset(m->seen, 0, sizeof m->seen);
            m->count = 0;
            m->bytes = 0;
        }
        check_same(c, m);
    }
    djf_bodycache_clear(c);
    free(c);
    free(m);
    return 0;
}
