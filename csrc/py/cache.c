/* djfast._djfast: cache binding. */
#include "module.h"

int djf_cache_exec(PyObject *module, struct djf_state *st)
{
    (void)module;
    (void)st;
    return 0;
}

int djf_cache_traverse(djf_cache_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->placeholder);
    return 0;
}

void djf_cache_clear(djf_cache_state *st)
{
    Py_CLEAR(st->placeholder);
}
