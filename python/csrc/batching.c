/* The batching transform's bindings (vmap): python/swiftgrad/_vmap.py orchestrates pytrees and
 * axes with them; every batched computation happens in the Swift core. */
#include "swiftgrad_ext.h"

static PyObject *py_vmap_new_level(PyObject *self, PyObject *unused) {
  return PyLong_FromLongLong(sg_vmap_new_level());
}

static PyObject *py_vmap_push(PyObject *self, PyObject *args) {
  long long level, size;
  int randomness;
  if (!PyArg_ParseTuple(args, "LLi", &level, &size, &randomness)) return NULL;
  int status = sg_vmap_push(level, size, randomness);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *py_vmap_pop(PyObject *self, PyObject *unused) {
  sg_vmap_pop();
  Py_RETURN_NONE;
}

static PyObject *py_vmap_make_batched(PyObject *self, PyObject *args) {
  PyObject *x;
  long long axis, level;
  if (!PyArg_ParseTuple(args, "OLL", &x, &axis, &level)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "vmap: argument") < 0) return NULL;
  sg_tensor out;
  int status = sg_vmap_make_batched(&out, a.handle, axis, level);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_vmap_exit(PyObject *self, PyObject *args) {
  PyObject *x, *out_axis;
  long long level, size;
  if (!PyArg_ParseTuple(args, "OLLO", &x, &level, &size, &out_axis)) return NULL;
  long long axis = 0;
  int has_axis = out_axis != Py_None;
  if (has_axis) {
    axis = PyLong_AsLongLong(out_axis);
    if (axis == -1 && PyErr_Occurred()) return NULL;
  }
  sg_arg a;
  if (sg_arg_from(x, &a, "vmap: output") < 0) return NULL;
  sg_tensor out;
  int status = sg_vmap_exit(&out, a.handle, level, size, axis, has_axis);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_vmap_level(PyObject *self, PyObject *x) {
  if (!sg_is_tensor(x)) return PyLong_FromLong(-1);
  return PyLong_FromLongLong(sg_vmap_level(((TensorObject *)x)->handle));
}

static PyMethodDef batching_methods[] = {
    {"vmap_new_level", py_vmap_new_level, METH_NOARGS, "A fresh batching level."},
    {"vmap_push", py_vmap_push, METH_VARARGS, "vmap_push(level, size, randomness): open a level."},
    {"vmap_pop", py_vmap_pop, METH_NOARGS, "Close the innermost level opened by vmap_push."},
    {"vmap_make_batched", py_vmap_make_batched, METH_VARARGS, "make_batched(x, axis, level)"},
    {"vmap_exit", py_vmap_exit, METH_VARARGS, "exit(x, level, size, out_axis or None)"},
    {"vmap_level", py_vmap_level, METH_O, "The newest batching level of x, or -1."},
    {NULL, NULL, 0, NULL}};

int sg_register_batching(PyObject *module) { return PyModule_AddFunctions(module, batching_methods); }
