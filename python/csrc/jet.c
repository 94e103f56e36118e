/* Taylor-mode bindings: python/swiftgrad/transforms.py builds sg.jet on them; the series are
 * propagated and rescaled in Swift (Sources/SwiftGradC/Jet.swift). */
#include "swiftgrad_ext.h"

/* jet_enter(primal, terms, level, collapse=False) */
static PyObject *py_jet_enter(PyObject *self, PyObject *args) {
  PyObject *p, *terms, *lv;
  int collapse = 0;
  if (!PyArg_ParseTuple(args, "OOO|p", &p, &terms, &lv, &collapse)) return NULL;
  long long level = PyLong_AsLongLong(lv);
  if (level == -1 && PyErr_Occurred()) return NULL;
  PyObject *seq = PySequence_Fast(terms, "jet: series must be a sequence of tensors");
  if (!seq) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject *result = NULL;
  sg_arg primal;
  sg_arg *items = PyMem_Calloc(n + 1, sizeof(sg_arg));
  sg_tensor *handles = PyMem_Calloc(n + 1, sizeof(sg_tensor));
  Py_ssize_t converted = 0;
  int have_primal = 0;
  if (!items || !handles) {
    PyErr_NoMemory();
    goto done;
  }
  if (sg_arg_from(p, &primal, "jet: primal") < 0) goto done;
  have_primal = 1;
  for (; converted < n; converted++) {
    if (sg_arg_from(PySequence_Fast_GET_ITEM(seq, converted), &items[converted], "jet: series term") < 0) goto done;
    handles[converted] = items[converted].handle;
  }
  sg_tensor out;
  int status = sg_jet_enter(&out, primal.handle, (int)n, handles, (int64_t)level, collapse);
  result = status ? sg_raise(status) : sg_wrap(out);
done:
  for (Py_ssize_t i = 0; i < converted; i++) sg_arg_release(&items[i]);
  if (have_primal) sg_arg_release(&primal);
  PyMem_Free(items);
  PyMem_Free(handles);
  Py_DECREF(seq);
  return result;
}

/* jet_term(x, k, level) */
static PyObject *py_jet_term(PyObject *self, PyObject *args) {
  PyObject *x;
  long long k, level;
  if (!PyArg_ParseTuple(args, "OLL", &x, &k, &level)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "jet: output") < 0) return NULL;
  sg_tensor out;
  int status = sg_jet_term(&out, a.handle, (int64_t)k, (int64_t)level);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyMethodDef jet_methods[] = {
    {"jet_enter", py_jet_enter, METH_VARARGS, "jet_enter(primal, terms, level, collapse=False)"},
    {"jet_term", py_jet_term, METH_VARARGS, "jet_term(x, k, level): the k-th derivative term of x."},
    {NULL, NULL, 0, NULL}};

int sg_register_jet(PyObject *module) { return PyModule_AddFunctions(module, jet_methods); }
