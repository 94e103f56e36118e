/* Binding of the blocked attention primitive (Sources/SwiftGradC/Attention.swift). Registered by
 * sg_register_attention (module.c). */
#include "swiftgrad_ext.h"

static PyObject *py_sdpa(PyObject *self, PyObject *args) {
  PyObject *objs[4], *scale_obj;
  double dropout;
  int causal;
  if (!PyArg_ParseTuple(args, "OOOOdpO", &objs[0], &objs[1], &objs[2], &objs[3], &dropout, &causal, &scale_obj))
    return NULL;
  double scale = 0;
  int has_scale = scale_obj != Py_None;
  if (has_scale) {
    scale = PyFloat_AsDouble(scale_obj);
    if (scale == -1.0 && PyErr_Occurred()) return NULL;
  }
  static const char *names[4] = {"query", "key", "value", "attn_mask"};
  sg_arg a[4] = {{0}};
  int n = objs[3] == Py_None ? 3 : 4;
  for (int i = 0; i < n; i++) {
    if (sg_arg_from(objs[i], &a[i], names[i]) < 0) {
      for (int j = 0; j < i; j++) sg_arg_release(&a[j]);
      return NULL;
    }
  }
  sg_tensor out;
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = sg_scaled_dot_product_attention(&out, a[0].handle, a[1].handle, a[2].handle, n == 4 ? a[3].handle : NULL,
                                           dropout, causal, has_scale, scale);
  Py_END_ALLOW_THREADS
  for (int i = 0; i < n; i++) sg_arg_release(&a[i]);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyMethodDef attention_methods[] = {
    {"scaled_dot_product_attention", py_sdpa, METH_VARARGS,
     "scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale): blocked attention."},
    {NULL, NULL, 0, NULL}};

int sg_register_attention(PyObject *module) { return PyModule_AddFunctions(module, attention_methods); }
