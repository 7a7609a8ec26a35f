/* djfast._djfast: cache binding (see module.h for the contract).
 *
 * cache.c      make_key, the KeyMaker type behind the backends' make_and_validate_key,
 *              memcache_key_problems, the key secret
 * cache_hash.c make_template_fragment_key and etag
 */
#ifndef DJF_PY_CACHE_H
#define DJF_PY_CACHE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "keys.h"

struct djf_state;

typedef struct djf_cache_state {
    PyTypeObject *keymaker_type; /* djfast._djfast.KeyMaker */
    PyObject *secret_loader;     /* () -> bytes: secret material, set by djfast.cache */
    PyObject *on_hash;           /* (django_key, stored_key) -> None after hashing, or NULL */
    int have_secret;             /* secret below is derived from the loader's material */
    uint8_t secret[DJF_KEY_SECRET_SIZE];
} djf_cache_state;

/* Returns 0, or -1 with an exception set. */
int djf_cache_exec(PyObject *module, struct djf_state *st);
int djf_cache_traverse(djf_cache_state *st, visitproc visit, void *arg);
void djf_cache_clear(djf_cache_state *st);

/* Returns the cache-key secret, loading it through the loader on first use, or NULL with an
 * exception set. */
const uint8_t *djf_cache_secret(djf_cache_state *st);

/* Adds make_template_fragment_key and etag (cache_hash.c). Returns 0, or -1 with an exception
 * set. */
int djf_cache_hash_exec(PyObject *module);

#endif
