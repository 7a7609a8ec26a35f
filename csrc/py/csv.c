/* djfast._djfast: csv binding. */
#include "module.h"

int djf_csv_exec(PyObject *module, struct djf_state *st)
{
    (void)module;
    (void)st;
    return 0;
}

int djf_csv_traverse(djf_csv_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->placeholder);
    return 0;
}

void djf_csv_clear(djf_csv_state *st)
{
    Py_CLEAR(st->placeholder);
}
