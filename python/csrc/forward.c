/* Forward-mode and transform helpers: the bindings python/swiftgrad/transforms.py is built on.
 * The transforms themselves are orchestration in Python; every derivative is computed in Swift. */
#include "swiftgrad_ext.h"

static int parse_level(PyObject *obj, int64_t *level) {
  long long v = PyLong_AsLongLong(obj);
  if (v == -1 && PyErr_Occurred()) return -1;
  *level = v;
  return 0;
}

static PyObject *py_new_level(PyObject *self, PyObject *unused) { return PyLong_FromLongLong(sg_forward_new_level()); }

static PyObject *py_make_dual(PyObject *self, PyObject *args) {
  PyObject *p, *t, *lv;
  int64_t level;
  if (!PyArg_ParseTuple(args, "OOO", &p, &t, &lv) || parse_level(lv, &level) < 0) return NULL;
  sg_arg a, b;
  if (sg_arg_from(p, &a, "jvp: primal") < 0) return NULL;
  if (sg_arg_from(t, &b, "jvp: tangent") < 0) {
    sg_arg_release(&a);
    return NULL;
  }
  sg_tensor out;
  int status = sg_forward_make_dual(&out, a.handle, b.handle, level);
  sg_arg_release(&a);
  sg_arg_release(&b);
  return status ? sg_raise(status) : sg_wrap(out);
}

/* A function of one tensor and a level returning a tensor (tangent, strip). */
static PyObject *call_level_fn(PyObject *args, int (*fn)(sg_tensor *, sg_tensor, int64_t), const char *what) {
  PyObject *x, *lv;
  int64_t level;
  if (!PyArg_ParseTuple(args, "OO", &x, &lv) || parse_level(lv, &level) < 0) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, what) < 0) return NULL;
  sg_tensor out;
  int status = fn(&out, a.handle, level);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_tangent(PyObject *self, PyObject *args) {
  return call_level_fn(args, sg_forward_tangent, "tangent");
}
static PyObject *py_strip(PyObject *self, PyObject *args) { return call_level_fn(args, sg_forward_strip, "strip"); }

static PyObject *py_has_tangent(PyObject *self, PyObject *args) {
  PyObject *x, *lv;
  int64_t level;
  if (!PyArg_ParseTuple(args, "OO", &x, &lv) || parse_level(lv, &level) < 0) return NULL;
  if (!sg_is_tensor(x)) Py_RETURN_FALSE;
  return PyBool_FromLong(sg_forward_has_tangent(((TensorObject *)x)->handle, level));
}

static PyObject *py_reverse_input(PyObject *self, PyObject *x) {
  sg_arg a;
  if (sg_arg_from(x, &a, "grad: input") < 0) return NULL;
  sg_tensor out;
  int status = sg_reverse_input(&out, a.handle);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

/* Tensor handles of a sequence of Tensor objects (borrowed); NULL with an exception on error. */
static sg_tensor *tensor_handles(PyObject *seq, Py_ssize_t *n, const char *what) {
  *n = PySequence_Fast_GET_SIZE(seq);
  sg_tensor *handles = PyMem_Calloc(*n + 1, sizeof(sg_tensor));
  if (!handles) {
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < *n; i++) {
    PyObject *o = PySequence_Fast_GET_ITEM(seq, i);
    if (!sg_is_tensor(o)) {
      PyErr_Format(PyExc_TypeError, "%s[%zd] is %.100s, not a Tensor", what, i, Py_TYPE(o)->tp_name);
      PyMem_Free(handles);
      return NULL;
    }
    handles[i] = ((TensorObject *)o)->handle;
  }
  return handles;
}

static PyObject *py_result_needs_graph(PyObject *self, PyObject *args) {
  PyObject *outputs, *inputs;
  if (!PyArg_ParseTuple(args, "OO", &outputs, &inputs)) return NULL;
  PyObject *outs = PySequence_Fast(outputs, "outputs must be a sequence of tensors");
  PyObject *ins = outs ? PySequence_Fast(inputs, "inputs must be a sequence of tensors") : NULL;
  PyObject *result = NULL;
  sg_tensor *oh = NULL, *ih = NULL;
  Py_ssize_t n_out = 0, n_in = 0;
  if (!ins) goto done;
  if (!(oh = tensor_handles(outs, &n_out, "outputs")) || !(ih = tensor_handles(ins, &n_in, "inputs"))) goto done;
  int needs = 0;
  int status = sg_result_needs_graph((int)n_out, oh, (int)n_in, ih, &needs);
  result = status ? sg_raise(status) : PyBool_FromLong(needs);
done:
  PyMem_Free(oh);
  PyMem_Free(ih);
  Py_XDECREF(outs);
  Py_XDECREF(ins);
  return result;
}

static PyMethodDef forward_methods[] = {
    {"forward_new_level", py_new_level, METH_NOARGS, "A fresh forward-mode nesting level."},
    {"forward_make_dual", py_make_dual, METH_VARARGS, "make_dual(primal, tangent, level)"},
    {"forward_tangent", py_tangent, METH_VARARGS, "tangent(x, level): the tangent, or zeros."},
    {"forward_has_tangent", py_has_tangent, METH_VARARGS, "has_tangent(x, level)"},
    {"forward_strip", py_strip, METH_VARARGS, "strip(x, level): x without its level tangent."},
    {"reverse_input", py_reverse_input, METH_O, "The tensor a reverse transform differentiates."},
    {"result_needs_graph", py_result_needs_graph, METH_VARARGS, "Whether gradients must be recorded."},
    {NULL, NULL, 0, NULL}};

int sg_register_forward(PyObject *module) { return PyModule_AddFunctions(module, forward_methods); }
