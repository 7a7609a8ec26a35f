/* djfast._djfast: build_info(), what this build was compiled with and what it runs on.
 *
 * `python -m djfast` prints it for bug reports. One row per library compiled in: the four that
 * every build links are always there; optional engines add their row under the DJF_HAVE_<NAME>
 * macro that setup.py defines for each library it found with pkg-config.
 */
#include "info.h"

#include "keys.h"

#include <libdeflate.h>
#include <stdio.h>
#include <xxhash.h> /* only its version macros: the hash itself is compiled inline in keys.c */
#include <zlib.h>
#include <zstd.h>
#ifdef DJF_HAVE_LIBISAL
#include <isa-l.h>
#endif
#ifdef DJF_HAVE_LIBBROTLIENC
#include <brotli/encode.h>
#endif

#define DJF_STR2(x) #x
#define DJF_STR(x)  DJF_STR2(x)

#if defined(__clang__)
#define DJF_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define DJF_COMPILER "gcc " __VERSION__
#elif defined(__VERSION__)
#define DJF_COMPILER __VERSION__
#else
#define DJF_COMPILER "unknown"
#endif

/* Returns 0, or -1 with an exception set: appends {name, used_for, linked, compiled, runtime}
 * to `rows` (runtime NULL: the library has no run-time version call, or is compiled in). */
static int add_library(PyObject *rows, const char *name, const char *used_for, const char *linked,
                       const char *compiled, const char *runtime)
{
    PyObject *row = NULL;
    int rc = -1;

    row = Py_BuildValue("{s:s,s:s,s:s,s:s,s:z}", "name", name, "used_for", used_for, "linked",
                        linked, "compiled", compiled, "runtime", runtime);
    if (row == NULL) {
        goto done;
    }
    rc = PyList_Append(rows, row);
done:
    Py_XDECREF(row);
    return rc;
}

/* Returns a new list of library rows, or NULL with an exception set. */
static PyObject *library_rows(void)
{
    PyObject *rows = PyList_New(0);
#ifdef DJF_HAVE_LIBBROTLIENC
    char brotli[32];
    uint32_t bv = BrotliEncoderVersion();
#endif

    if (rows == NULL) {
        return NULL;
    }
    if (add_library(rows, "libdeflate", "gzip, whole bodies", "shared", LIBDEFLATE_VERSION_STRING,
                    NULL) < 0 ||
        add_library(rows, "zlib", "gzip, streams", "shared", ZLIB_VERSION, zlibVersion()) < 0 ||
        add_library(rows, "libzstd", "zstd, whole bodies and streams", "shared",
                    ZSTD_VERSION_STRING, ZSTD_versionString()) < 0 ||
        add_library(rows, "libxxhash", "XXH3-128 cache keys and ETags", "inline (header only)",
                    DJF_STR(XXH_VERSION_MAJOR) "." DJF_STR(XXH_VERSION_MINOR) "." DJF_STR(
                        XXH_VERSION_RELEASE),
                    NULL) < 0) {
        goto error;
    }
#ifdef DJF_HAVE_LIBISAL
    if (add_library(rows, "libisal", "gzip (GZIP_ENGINE \"isal\")", "shared",
                    DJF_STR(ISAL_MAJOR_VERSION) "." DJF_STR(ISAL_MINOR_VERSION) "." DJF_STR(
                        ISAL_PATCH_VERSION),
                    NULL) < 0) {
        goto error;
    }
#endif
#ifdef DJF_HAVE_LIBBROTLIENC
    (void)snprintf(brotli, sizeof(brotli), "%u.%u.%u", (unsigned)(bv >> 24),
                   (unsigned)((bv >> 12) & 0xFFF), (unsigned)(bv & 0xFFF));
    if (add_library(rows, "libbrotlienc", "br", "shared", "", brotli) < 0) {
        goto error;
    }
#endif
    return rows;
error:
    Py_CLEAR(rows);
    return NULL;
}

/* build_info() -> dict. Returns a new dict, or NULL with an exception set. */
static PyObject *build_info(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    PyObject *libraries = NULL;
    PyObject *result = NULL;
    int avx2 = djf_key_have_avx2();
#ifdef __OPTIMIZE__
    int optimized = 1;
#else
    int optimized = 0;
#endif

    libraries = library_rows();
    if (libraries == NULL) {
        goto done;
    }
    result =
        Py_BuildValue("{s:s,s:O,s:s,s:O,s:{s:O},s:s}", "compiler", DJF_COMPILER, "optimized",
                      optimized ? Py_True : Py_False, "python_headers", PY_VERSION, "libraries",
                      libraries, "cpu", "avx2", avx2 ? Py_True : Py_False, "key_hash",
                      avx2 ? "XXH3 plain entry points; AVX2 build for long keys (vzeroupper)"
                           : "XXH3 plain entry points; scalar/SSE2 build");
done:
    Py_XDECREF(libraries);
    return result;
}

static PyMethodDef info_methods[] = {
    {"build_info", build_info, METH_NOARGS,
     "build_info()\n--\n\nWhat this build of djfast._djfast was compiled with: compiler, each "
     "library with its compiled and run-time version and what it is used for, and the CPU "
     "features in use."},
    {NULL, NULL, 0, NULL},
};

/* Returns 0, or -1 with an exception set. */
int djf_info_exec(PyObject *module)
{
    return PyModule_AddFunctions(module, info_methods);
}
