/* djfast._djfast: compress binding. */
#include "module.h"

int djf_compress_exec(PyObject *module, struct djf_state *st)
{
    (void)module;
    (void)st;
    return 0;
}

int djf_compress_traverse(djf_compress_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->placeholder);
    return 0;
}

void djf_compress_clear(djf_compress_state *st)
{
    Py_CLEAR(st->placeholder);
}
