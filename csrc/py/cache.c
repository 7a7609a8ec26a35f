/* djfast._djfast: cache keys.
 *
 * make_key(key, key_prefix, version)   Django's "%s:%s:%s", or "<prefix>:<version>:h:<hex>"
 *                                      (keyed XXH3-128) when that is not memcached-safe
 * KeyMaker                             the C callable the djfast backends install as
 *                                      make_and_validate_key: make, scan, and only on a
 *                                      problem call back into Django's validate_key
 * memcache_key_problems(key)           Django's memcached checks (counted in characters)
 */
#include "module.h"

#include "cache_args.h"
#include "fmt.h"
#include "keys.h"

#include <string.h>
#include <structmember.h>

/* ------------------------------------------------------------------ the secret */

const uint8_t *djf_cache_secret(djf_cache_state *st)
{
    PyObject *material = NULL;
    const uint8_t *res = NULL;
    uint8_t tmp[DJF_KEY_SECRET_SIZE];
    djf_status status;

    if (st->have_secret) {
        return st->secret;
    }
    if (st->secret_loader == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the djfast cache-key secret is not configured (import djfast.cache)");
        goto done;
    }
    material = PyObject_CallNoArgs(st->secret_loader);
    if (material == NULL) {
        goto done;
    }
    if (!PyBytes_Check(material)) {
        PyErr_Format(PyExc_TypeError, "the cache-key secret loader must return bytes, not %.100s",
                     Py_TYPE(material)->tp_name);
        goto done;
    }
    status =
        djf_key_secret_init(tmp, PyBytes_AS_STRING(material), (size_t)PyBytes_GET_SIZE(material));
    if (status != DJF_OK) {
        (void)djf_raise_status(status, "cache-key secret");
        goto done;
    }
    memcpy(st->secret, tmp, sizeof tmp);
    st->have_secret = 1;
    res = st->secret;
done:
    Py_XDECREF(material);
    return res;
}

/* ------------------------------------------------------------------ "%s:%s:%s" */

/* One of the parts "%s:%s:%s" joins: a str (borrowed or owned), or ASCII text in `text`. */
typedef struct key_part {
    PyObject *owned; /* the str() made for a non-str value, or NULL */
    const void *data;
    Py_ssize_t len;
    int kind;
    Py_UCS4 maxchar;
    char text[2 + DJF_KEY_HEX_LEN]; /* digits of an int, or "h:<hex>" */
} key_part;

static void part_set_str(key_part *p, PyObject *s)
{
    p->data = PyUnicode_DATA(s);
    p->len = PyUnicode_GET_LENGTH(s);
    p->kind = (int)PyUnicode_KIND(s);
    p->maxchar = PyUnicode_MAX_CHAR_VALUE(s);
}

static void part_set_ascii(key_part *p, size_t len)
{
    p->owned = NULL;
    p->data = p->text;
    p->len = (Py_ssize_t)len;
    p->kind = PyUnicode_1BYTE_KIND;
    p->maxchar = 0x7f;
}

/* Makes `o` a part as "%s" would format it. Returns 0, or -1 with an exception set. */
static int part_init(key_part *p, PyObject *o)
{
    p->owned = NULL;
    if (PyUnicode_CheckExact(o)) {
        if (DJF_UNICODE_READY(o) < 0) {
            return -1;
        }
        part_set_str(p, o);
        return 0;
    }
    if (PyLong_CheckExact(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);

        if (!overflow) {
            part_set_ascii(p, djf_fmt_int64(p->text, (int64_t)v));
            return 0;
        }
    }
    p->owned = PyObject_Str(o);
    if (p->owned == NULL || DJF_UNICODE_READY(p->owned) < 0) {
        return -1;
    }
    part_set_str(p, p->owned);
    return 0;
}

static Py_ssize_t part_write(int kind, void *data, Py_ssize_t pos, const key_part *p)
{
    Py_ssize_t i;

    for (i = 0; i < p->len; i++) {
        PyUnicode_WRITE(kind, data, pos + i, PyUnicode_READ(p->kind, p->data, i));
    }
    return pos + p->len;
}

/* Returns a new str "<a>:<b>:<c>", or NULL with an exception set. */
static PyObject *join3(const key_part *a, const key_part *b, const key_part *c)
{
    size_t total = 2;
    Py_UCS4 maxchar = a->maxchar;
    PyObject *res;

    if (!djf_add_size(total, (size_t)a->len, &total) ||
        !djf_add_size(total, (size_t)b->len, &total) ||
        !djf_add_size(total, (size_t)c->len, &total) || total > (size_t)PY_SSIZE_T_MAX) {
        PyErr_SetString(PyExc_OverflowError, "cache key is too long");
        return NULL;
    }
    if (b->maxchar > maxchar) {
        maxchar = b->maxchar;
    }
    if (c->maxchar > maxchar) {
        maxchar = c->maxchar;
    }
    res = PyUnicode_New((Py_ssize_t)total, maxchar);
    if (res == NULL) {
        return NULL;
    }
    if (PyUnicode_KIND(res) == PyUnicode_1BYTE_KIND) {
        Py_UCS1 *out = PyUnicode_1BYTE_DATA(res);

        memcpy(out, a->data, (size_t)a->len);
        out += a->len;
        *out++ = ':';
        memcpy(out, b->data, (size_t)b->len);
        out += b->len;
        *out++ = ':';
        memcpy(out, c->data, (size_t)c->len);
    } else {
        int kind = (int)PyUnicode_KIND(res);
        void *data = PyUnicode_DATA(res);
        Py_ssize_t pos = part_write(kind, data, 0, a);

        PyUnicode_WRITE(kind, data, pos, ':');
        pos = part_write(kind, data, pos + 1, b);
        PyUnicode_WRITE(kind, data, pos, ':');
        (void)part_write(kind, data, pos + 1, c);
    }
    return res;
}

/* Returns Django's default_key_func(key, prefix, version) as a new str, or NULL with an
 * exception set. The parts are formatted in "%"'s order: prefix, version, key. */
static PyObject *django_key(PyObject *key, PyObject *prefix, PyObject *version)
{
    key_part p[3];
    PyObject *res = NULL;

    p[0].owned = p[1].owned = p[2].owned = NULL;
    if (part_init(&p[0], prefix) < 0 || part_init(&p[1], version) < 0 ||
        part_init(&p[2], key) < 0) {
        goto done;
    }
    res = join3(&p[0], &p[1], &p[2]);
done:
    Py_XDECREF(p[0].owned);
    Py_XDECREF(p[1].owned);
    Py_XDECREF(p[2].owned);
    return res;
}

/* ------------------------------------------------------------------ scans */

/* Django's memcache_key_warnings checks: length in characters, forbidden characters. */
static int django_problems(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    const void *data = PyUnicode_DATA(s);
    int problems = n > DJF_KEY_MAX_LEN ? DJF_KEY_TOO_LONG : 0;
    int bad;

    switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND:
        bad = djf_key_forbidden_u8(data, (size_t)n);
        break;
    case PyUnicode_2BYTE_KIND:
        bad = djf_key_forbidden_u16(data, (size_t)n);
        break;
    default:
        bad = djf_key_forbidden_u32(data, (size_t)n);
        break;
    }
    return bad ? problems | DJF_KEY_FORBIDDEN : problems;
}

/* memcached's own rule: at most 250 UTF-8 bytes, no byte 0x00-0x20 or 0x7f. A UTF-8 byte
 * below 0x80 is always a whole ASCII character, so the forbidden scan runs on characters.
 * A lone surrogate also counts as a problem: no client can encode it to strict UTF-8. */
static int memcached_problems(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    const void *data = PyUnicode_DATA(s);
    size_t bytes;
    int bad;
    int surrogate = 0;

    switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND:
        bytes = PyUnicode_IS_ASCII(s) ? (size_t)n : djf_key_utf8_len_u8(data, (size_t)n);
        bad = djf_key_forbidden_u8(data, (size_t)n);
        break;
    case PyUnicode_2BYTE_KIND:
        bytes = djf_key_utf8_len_u16(data, (size_t)n);
        bad = djf_key_forbidden_u16(data, (size_t)n);
        surrogate = djf_key_surrogate_u16(data, (size_t)n);
        break;
    default:
        bytes = djf_key_utf8_len_u32(data, (size_t)n);
        bad = djf_key_forbidden_u32(data, (size_t)n);
        surrogate = djf_key_surrogate_u32(data, (size_t)n);
        break;
    }
    return (bytes > DJF_KEY_MAX_LEN ? DJF_KEY_TOO_LONG : 0) | (bad ? DJF_KEY_FORBIDDEN : 0) |
           (surrogate ? DJF_KEY_SURROGATE : 0);
}

/* Writes the keyed XXH3-128 of s's UTF-8 (lone surrogates encoded as "surrogatepass" does).
 * Returns 0, or -1 with an exception set. */
static int hash_str(djf_cache_state *cst, PyObject *s, uint8_t out[16])
{
    const uint8_t *secret = djf_cache_secret(cst);
    PyObject *encoded = NULL;
    const char *utf8;
    Py_ssize_t n;

    if (secret == NULL) {
        return -1;
    }
    if (PyUnicode_IS_ASCII(s)) {
        djf_key_hash128(out, PyUnicode_DATA(s), (size_t)PyUnicode_GET_LENGTH(s), secret);
        return 0;
    }
    utf8 = PyUnicode_AsUTF8AndSize(s, &n);
    if (utf8 == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
            return -1;
        }
        PyErr_Clear();
        encoded = PyUnicode_AsEncodedString(s, "utf-8", "surrogatepass");
        if (encoded == NULL) {
            return -1;
        }
        utf8 = PyBytes_AS_STRING(encoded);
        n = PyBytes_GET_SIZE(encoded);
    }
    djf_key_hash128(out, utf8, (size_t)n, secret);
    Py_XDECREF(encoded);
    return 0;
}

/* True when a key part starts with "h:", the mark of a hashed key. Such a key is always hashed,
 * so that no plain key can spell another key's hashed form: the two key spaces stay disjoint. */
static int part_looks_hashed(const key_part *p)
{
    return p->len >= 2 && PyUnicode_READ(p->kind, p->data, 0) == 'h' &&
           PyUnicode_READ(p->kind, p->data, 1) == ':';
}

/* Returns djfast's key for (key, prefix, version) and sets *hashed, or NULL with an exception
 * set. */
static PyObject *djfast_key(djf_cache_state *cst, PyObject *key, PyObject *prefix,
                            PyObject *version, int *hashed)
{
    key_part p[3];
    key_part h;
    PyObject *full = NULL;
    PyObject *res = NULL;
    uint8_t digest[16];

    p[0].owned = p[1].owned = p[2].owned = NULL;
    if (part_init(&p[0], prefix) < 0 || part_init(&p[1], version) < 0 ||
        part_init(&p[2], key) < 0) {
        goto done;
    }
    full = join3(&p[0], &p[1], &p[2]);
    if (full == NULL) {
        goto done;
    }
    if (!part_looks_hashed(&p[2]) && memcached_problems(full) == 0) {
        *hashed = 0;
        res = full;
        full = NULL;
        goto done;
    }
    if (hash_str(cst, full, digest) < 0) {
        goto done;
    }
    h.text[0] = 'h';
    h.text[1] = ':';
    djf_key_hex(h.text + 2, digest);
    part_set_ascii(&h, sizeof h.text);
    *hashed = 1;
    res = join3(&p[0], &p[1], &h);
    /* djfast.cache.debug sets on_hash only under DEBUG (or DEBUG logging): the warning and the
     * log record Django's CacheKeyWarning would have been. */
    if (res != NULL && cst->on_hash != NULL) {
        PyObject *told = PyObject_CallFunctionObjArgs(cst->on_hash, full, res, NULL);

        if (told == NULL) {
            Py_CLEAR(res);
        }
        Py_XDECREF(told);
    }
done:
    Py_XDECREF(p[0].owned);
    Py_XDECREF(p[1].owned);
    Py_XDECREF(p[2].owned);
    Py_XDECREF(full);
    return res;
}

/* make_key(key, key_prefix, version): returns a new str, or NULL with an exception set. */
static PyObject *cache_make_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames)
{
    static const char *const names[] = {"key", "key_prefix", "version"};
    PyObject *a[3];
    int hashed;

    if (kwnames == NULL && nargs == 3) {
        a[0] = args[0];
        a[1] = args[1];
        a[2] = args[2];
    } else if (djf_cache_parse_args("make_key", args, nargs, kwnames, names, 3, 3, a) < 0) {
        return NULL;
    }
    return djfast_key(&djf_get_state(module)->cache, a[0], a[1], a[2], &hashed);
}

/* memcache_key_problems(key): returns the problem bits of a str key, or NULL with an
 * exception set. */
static PyObject *cache_key_problems(PyObject *module, PyObject *key)
{
    (void)module;
    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "memcache_key_problems() argument must be str, not %.100s",
                     Py_TYPE(key)->tp_name);
        return NULL;
    }
    if (DJF_UNICODE_READY(key) < 0) {
        return NULL;
    }
    return PyLong_FromLong(django_problems(key));
}

/* _cache_key_configure(loader): returns None, or NULL with an exception set. */
static PyObject *cache_key_configure(PyObject *module, PyObject *loader)
{
    djf_cache_state *st = &djf_get_state(module)->cache;

    if (!PyCallable_Check(loader)) {
        PyErr_SetString(PyExc_TypeError, "the cache-key secret loader must be callable");
        return NULL;
    }
    Py_XSETREF(st->secret_loader, Py_NewRef(loader));
    st->have_secret = 0;
    Py_RETURN_NONE;
}

/* _cache_key_reset(): forgets the derived secret (reloaded on next use). Never fails. */
static PyObject *cache_key_reset(PyObject *module, PyObject *unused)
{
    djf_cache_state *st = &djf_get_state(module)->cache;

    (void)unused;
    st->have_secret = 0;
    memset(st->secret, 0, sizeof st->secret);
    Py_RETURN_NONE;
}

/* _cache_key_on_hash(callback): returns None, or NULL with an exception set. callback(django_key,
 * stored_key) is called each time a key is hashed; None removes it. */
static PyObject *cache_key_on_hash(PyObject *module, PyObject *callback)
{
    djf_cache_state *st = &djf_get_state(module)->cache;

    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "the on-hash callback must be callable or None");
        return NULL;
    }
    Py_XSETREF(st->on_hash, callback == Py_None ? NULL : Py_NewRef(callback));
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ KeyMaker */

enum { KM_DJANGO = 0, KM_DJFAST = 1, KM_CALL = 2 };

typedef struct djf_keymaker {
    PyObject_HEAD vectorcallfunc vectorcall;
    PyObject *key_func;   /* called in KM_CALL mode */
    PyObject *key_prefix; /* as the backend's key_prefix */
    PyObject *version;    /* the backend's default version */
    PyObject *on_bad;     /* Django's validate_key, called with a key that has a problem */
    PyObject *owner;      /* weak reference to the backend passed first to on_bad, or NULL */
    int mode;
} djf_keymaker;

/* Calls on_bad(owner, key) (or on_bad(key) without an owner). Returns its result, or NULL
 * with an exception set (ReferenceError once the owner is gone). */
static PyObject *report_bad_key(djf_keymaker *self, PyObject *key)
{
    PyObject *owner = NULL;
    PyObject *res;

    if (self->owner == NULL) {
        return PyObject_CallOneArg(self->on_bad, key);
    }
#if PY_VERSION_HEX >= 0x030D0000
    if (PyWeakref_GetRef(self->owner, &owner) < 0) {
        return NULL;
    }
#else
    owner = PyWeakref_GetObject(self->owner); /* borrowed */
    if (owner == NULL) {
        return NULL;
    }
    owner = owner == Py_None ? NULL : Py_NewRef(owner);
#endif
    if (owner == NULL) {
        PyErr_SetString(PyExc_ReferenceError, "the cache backend of this KeyMaker is gone");
        return NULL;
    }
    res = PyObject_CallFunctionObjArgs(self->on_bad, owner, key, NULL);
    Py_DECREF(owner);
    return res;
}

/* keymaker(key, version=None): returns the made and validated key, or NULL with an exception
 * set (a warning turned error, InvalidCacheKey, or the key function's own). */
static PyObject *keymaker_call(PyObject *obj, PyObject *const *args, size_t nargsf,
                               PyObject *kwnames)
{
    static const char *const names[] = {"key", "version"};
    djf_keymaker *self = (djf_keymaker *)obj;
    PyObject *a[2];
    PyObject *version;
    PyObject *made = NULL;
    PyObject *ok;
    int hashed = 1;

    if (djf_cache_parse_args("make_and_validate_key", args, PyVectorcall_NARGS(nargsf), kwnames,
                             names, 2, 1, a) < 0) {
        return NULL;
    }
    version = a[1] == NULL || a[1] == Py_None ? self->version : a[1];
    if (self->mode == KM_DJANGO) {
        made = django_key(a[0], self->key_prefix, version);
    } else if (self->mode == KM_DJFAST) {
        djf_state *st = (djf_state *)PyType_GetModuleState(Py_TYPE(obj));

        if (st == NULL) {
            return NULL;
        }
        made = djfast_key(&st->cache, a[0], self->key_prefix, version, &hashed);
    } else {
        PyObject *call_args[3] = {a[0], self->key_prefix, version};

        made = PyObject_Vectorcall(self->key_func, call_args, 3, NULL);
    }
    if (made == NULL) {
        return NULL;
    }
    /* A short djfast key is safe by construction; anything else is scanned, and Django's own
     * validate_key runs only when the scan finds a problem (or the key is not a plain str). */
    if (hashed && (!PyUnicode_CheckExact(made) || django_problems(made) != 0)) {
        ok = report_bad_key(self, made);
        if (ok == NULL) {
            Py_CLEAR(made);
        }
        Py_XDECREF(ok);
    }
    return made;
}

/* KeyMaker(key_func, key_prefix, version, on_bad, mode, owner=None): returns the new object,
 * or NULL with an exception set. With an owner, only a weak reference to it is kept (so a
 * backend holding its KeyMaker is no reference cycle) and on_bad is called as on_bad(owner,
 * key). */
static PyObject *keymaker_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"key_func", "key_prefix", "version", "on_bad", "mode", "owner", NULL};
    PyObject *owner = Py_None;
    PyObject *owner_ref = NULL;
    PyObject *key_func;
    PyObject *key_prefix;
    PyObject *version;
    PyObject *on_bad;
    int mode;
    djf_keymaker *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOi|O:KeyMaker", kwlist, &key_func, &key_prefix,
                                     &version, &on_bad, &mode, &owner)) {
        return NULL;
    }
    if (mode < KM_DJANGO || mode > KM_CALL) {
        PyErr_Format(PyExc_ValueError, "KeyMaker mode must be 0, 1 or 2, not %d", mode);
        return NULL;
    }
    if (!PyCallable_Check(on_bad) || (mode == KM_CALL && !PyCallable_Check(key_func))) {
        PyErr_SetString(PyExc_TypeError, "KeyMaker needs a callable on_bad (and key_func)");
        return NULL;
    }
    if (owner != Py_None) {
        owner_ref = PyWeakref_NewRef(owner, NULL);
        if (owner_ref == NULL) {
            return NULL;
        }
    }
    self = (djf_keymaker *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_XDECREF(owner_ref);
        return NULL;
    }
    self->owner = owner_ref;
    self->vectorcall = keymaker_call;
    self->key_func = Py_NewRef(key_func);
    self->key_prefix = Py_NewRef(key_prefix);
    self->version = Py_NewRef(version);
    self->on_bad = Py_NewRef(on_bad);
    self->mode = mode;
    return (PyObject *)self;
}

static int keymaker_traverse(PyObject *obj, visitproc visit, void *arg)
{
    djf_keymaker *self = (djf_keymaker *)obj;

    Py_VISIT(Py_TYPE(obj));
    Py_VISIT(self->key_func);
    Py_VISIT(self->key_prefix);
    Py_VISIT(self->version);
    Py_VISIT(self->on_bad);
    Py_VISIT(self->owner);
    return 0;
}

static int keymaker_clear(PyObject *obj)
{
    djf_keymaker *self = (djf_keymaker *)obj;

    Py_CLEAR(self->key_func);
    Py_CLEAR(self->key_prefix);
    Py_CLEAR(self->version);
    Py_CLEAR(self->on_bad);
    Py_CLEAR(self->owner);
    return 0;
}

static void keymaker_dealloc(PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);

    PyObject_GC_UnTrack(obj);
    (void)keymaker_clear(obj);
    tp->tp_free(obj);
    Py_DECREF(tp);
}

static PyMemberDef keymaker_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(djf_keymaker, vectorcall), READONLY, NULL},
    {"key_func", T_OBJECT, offsetof(djf_keymaker, key_func), READONLY, NULL},
    {"key_prefix", T_OBJECT, offsetof(djf_keymaker, key_prefix), READONLY, NULL},
    {"version", T_OBJECT, offsetof(djf_keymaker, version), READONLY, NULL},
    {"mode", T_INT, offsetof(djf_keymaker, mode), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot keymaker_slots[] = {
    {Py_tp_doc, "KeyMaker(key_func, key_prefix, version, on_bad, mode, owner=None)\n--\n\n"
                "make_and_validate_key for one cache backend instance (see djfast.cache)."},
    {Py_tp_new, keymaker_new},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_traverse, keymaker_traverse},
    {Py_tp_clear, keymaker_clear},
    {Py_tp_dealloc, keymaker_dealloc},
    {Py_tp_members, keymaker_members},
    {0, NULL},
};

static PyType_Spec keymaker_spec = {
    .name = "djfast._djfast.KeyMaker",
    .basicsize = sizeof(djf_keymaker),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_HAVE_VECTORCALL,
    .slots = keymaker_slots,
};

/* ------------------------------------------------------------------ module */

static PyMethodDef cache_methods[] = {
    {"make_key", (PyCFunction)(void (*)(void))cache_make_key, METH_FASTCALL | METH_KEYWORDS,
     "make_key(key, key_prefix, version)\n--\n\n"
     "Django's cache key, hashed with keyed XXH3-128 when it is not memcached-safe."},
    {"memcache_key_problems", cache_key_problems, METH_O,
     "memcache_key_problems(key, /)\n--\n\n"
     "Django's memcached key checks as bits: 1 longer than 250 characters, 2 forbidden "
     "characters."},
    {"_cache_key_configure", cache_key_configure, METH_O,
     "_cache_key_configure(loader, /)\n--\n\nSet the callable returning the secret material."},
    {"_cache_key_reset", cache_key_reset, METH_NOARGS,
     "_cache_key_reset()\n--\n\nForget the derived secret; it is reloaded on next use."},
    {"_cache_key_on_hash", cache_key_on_hash, METH_O,
     "_cache_key_on_hash(callback, /)\n--\n\nCall callback(django_key, stored_key) after each "
     "hashed key (None: stop)."},
    {NULL, NULL, 0, NULL},
};

int djf_cache_exec(PyObject *module, struct djf_state *st)
{
    djf_cache_state *cst = &st->cache;

    cst->have_secret = 0;
    if (PyModule_AddFunctions(module, cache_methods) < 0) {
        return -1;
    }
    cst->keymaker_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &keymaker_spec, NULL);
    if (cst->keymaker_type == NULL) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "KeyMaker", (PyObject *)cst->keymaker_type) < 0) {
        return -1;
    }
    if (PyModule_AddIntConstant(module, "KEY_TOO_LONG", DJF_KEY_TOO_LONG) < 0 ||
        PyModule_AddIntConstant(module, "KEY_FORBIDDEN_CHARS", DJF_KEY_FORBIDDEN) < 0) {
        return -1;
    }
    return djf_cache_hash_exec(module);
}

int djf_cache_traverse(djf_cache_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->keymaker_type);
    Py_VISIT(st->secret_loader);
    Py_VISIT(st->on_hash);
    return 0;
}

void djf_cache_clear(djf_cache_state *st)
{
    Py_CLEAR(st->keymaker_type);
    Py_CLEAR(st->secret_loader);
    Py_CLEAR(st->on_hash);
    st->have_secret = 0;
}
