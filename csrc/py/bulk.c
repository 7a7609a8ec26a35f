/* djfast._djfast: bulk binding. */
#include "module.h"

int djf_bulk_exec(PyObject *module, struct djf_state *st)
{
    (void)module;
    (void)st;
    return 0;
}

int djf_bulk_traverse(djf_bulk_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->placeholder);
    return 0;
}

void djf_bulk_clear(djf_bulk_state *st)
{
    Py_CLEAR(st->placeholder);
}
