/* Bindings for optimizer steps, in-place writes (initialisers, load_state_dict, zero_grad) and
 * nn.Parameter construction. Registered by sg_register_optim (module.c). */
#include "swiftgrad_ext.h"

int sg_tensor_handle(PyObject *obj, sg_tensor *out, int optional, const char *what) {
  if (optional && obj == Py_None) {
    *out = NULL;
    return 0;
  }
  if (!sg_is_tensor(obj)) {
    PyErr_Format(PyExc_TypeError, "%s: expected a Tensor, got %.100s", what, Py_TYPE(obj)->tp_name);
    return -1;
  }
  *out = ((TensorObject *)obj)->handle;
  return 0;
}

static PyObject *py_sgd_step(PyObject *self, PyObject *args) {
  PyObject *p, *g, *b;
  double lr, momentum, dampening, weight_decay;
  int nesterov, maximize, first;
  if (!PyArg_ParseTuple(args, "OOOddddppp", &p, &g, &b, &lr, &momentum, &dampening, &weight_decay, &nesterov, &maximize,
                        &first))
    return NULL;
  sg_tensor hp, hg, hb;
  if (sg_tensor_handle(p, &hp, 0, "sgd_step param") < 0 || sg_tensor_handle(g, &hg, 0, "sgd_step grad") < 0 ||
      sg_tensor_handle(b, &hb, 1, "sgd_step momentum_buffer") < 0)
    return NULL;
  int status;
  if (sg_tensor_size(hp) >= SG_GIL_THRESHOLD) {
    Py_BEGIN_ALLOW_THREADS
    status = sg_optim_sgd_step(hp, hg, hb, lr, momentum, dampening, weight_decay, nesterov, maximize, first);
    Py_END_ALLOW_THREADS
  } else {
    status = sg_optim_sgd_step(hp, hg, hb, lr, momentum, dampening, weight_decay, nesterov, maximize, first);
  }
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *py_adam_step(PyObject *self, PyObject *args) {
  PyObject *p, *g, *m, *v, *vmax;
  long long step;
  double lr, beta1, beta2, eps, weight_decay;
  int decoupled, maximize;
  if (!PyArg_ParseTuple(args, "OOOOOLdddddpp", &p, &g, &m, &v, &vmax, &step, &lr, &beta1, &beta2, &eps, &weight_decay,
                        &decoupled, &maximize))
    return NULL;
  sg_tensor hp, hg, hm, hv, hvmax;
  if (sg_tensor_handle(p, &hp, 0, "adam_step param") < 0 || sg_tensor_handle(g, &hg, 0, "adam_step grad") < 0 ||
      sg_tensor_handle(m, &hm, 0, "adam_step exp_avg") < 0 || sg_tensor_handle(v, &hv, 0, "adam_step exp_avg_sq") < 0 ||
      sg_tensor_handle(vmax, &hvmax, 1, "adam_step max_exp_avg_sq") < 0)
    return NULL;
  int status;
  if (sg_tensor_size(hp) >= SG_GIL_THRESHOLD) {
    Py_BEGIN_ALLOW_THREADS
    status = sg_optim_adam_step(hp, hg, hm, hv, hvmax, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize);
    Py_END_ALLOW_THREADS
  } else {
    status = sg_optim_adam_step(hp, hg, hm, hv, hvmax, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize);
  }
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *py_fill_(PyObject *self, PyObject *args) {
  PyObject *t;
  double value;
  if (!PyArg_ParseTuple(args, "Od", &t, &value)) return NULL;
  sg_tensor h;
  if (sg_tensor_handle(t, &h, 0, "fill_") < 0) return NULL;
  int status = sg_inplace_fill(h, value);
  if (status) return sg_raise(status);
  return Py_NewRef(t);
}

static PyObject *py_copy_(PyObject *self, PyObject *args) {
  PyObject *t, *src;
  if (!PyArg_ParseTuple(args, "OO", &t, &src)) return NULL;
  sg_tensor h;
  if (sg_tensor_handle(t, &h, 0, "copy_") < 0) return NULL;
  sg_arg s;
  if (sg_arg_from(src, &s, "copy_") < 0) return NULL;
  int status = sg_inplace_copy(h, s.handle);
  sg_arg_release(&s);
  if (status) return sg_raise(status);
  return Py_NewRef(t);
}

/* _alias_as(cls, t): an instance of `cls` (a Tensor subclass such as nn.Parameter) viewing t's
 * storage with no history. */
static PyObject *py_alias_as(PyObject *self, PyObject *args) {
  PyObject *cls, *t;
  if (!PyArg_ParseTuple(args, "OO", &cls, &t)) return NULL;
  if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &SGTensorBase_Type)) {
    PyErr_SetString(PyExc_TypeError, "_alias_as: expected a subclass of TensorBase");
    return NULL;
  }
  sg_tensor h;
  if (sg_tensor_handle(t, &h, 0, "_alias_as") < 0) return NULL;
  sg_tensor alias;
  int status = sg_detach(&alias, h);
  if (status) return sg_raise(status);
  TensorObject *obj = (TensorObject *)((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0);
  if (!obj) {
    sg_tensor_free(alias);
    return NULL;
  }
  obj->handle = alias;
  return (PyObject *)obj;
}

/* Mixed precision (Note [Autocast] in Sources/SwiftGrad/Core/Autocast.swift, sg.amp). */
static PyObject *py_autocast_set(PyObject *self, PyObject *args) {
  int code, previous;
  if (!PyArg_ParseTuple(args, "i", &code)) return NULL;
  int status = sg_autocast_set(code, &previous);
  if (status) return sg_raise(status);
  return PyLong_FromLong(previous);
}

static PyObject *py_amp_unscale(PyObject *self, PyObject *args) {
  PyObject *list;
  double inverse_scale;
  if (!PyArg_ParseTuple(args, "O!d", &PyList_Type, &list, &inverse_scale)) return NULL;
  Py_ssize_t n = PyList_GET_SIZE(list);
  if (n > INT32_MAX) return PyErr_Format(PyExc_ValueError, "amp_unscale: too many gradients");
  sg_tensor *handles = PyMem_Malloc((n ? n : 1) * sizeof(sg_tensor));
  if (!handles) return PyErr_NoMemory();
  for (Py_ssize_t i = 0; i < n; i++) {
    if (sg_tensor_handle(PyList_GET_ITEM(list, i), &handles[i], 0, "amp_unscale gradient") < 0) {
      PyMem_Free(handles);
      return NULL;
    }
  }
  int found = 0;
  int status = sg_amp_unscale(handles, (int)n, inverse_scale, &found);
  PyMem_Free(handles);
  if (status) return sg_raise(status);
  return PyBool_FromLong(found);
}

static PyMethodDef optim_methods[] = {
    {"autocast_set", py_autocast_set, METH_VARARGS,
     "autocast_set(code): sets this thread's autocast dtype (-1: off); returns the previous code."},
    {"amp_unscale", py_amp_unscale, METH_VARARGS,
     "amp_unscale(grads, inverse_scale): multiplies every gradient in place; True if any was inf/NaN."},
    {"optim_sgd_step", py_sgd_step, METH_VARARGS,
     "optim_sgd_step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step)"},
    {"optim_adam_step", py_adam_step, METH_VARARGS,
     "optim_adam_step(p, g, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize)"},
    {"fill_", py_fill_, METH_VARARGS, "fill_(t, value): in-place fill (no graph; bumps the version)."},
    {"copy_", py_copy_, METH_VARARGS, "copy_(t, src): in-place copy with broadcasting and casting."},
    {"_alias_as", py_alias_as, METH_VARARGS,
     "Internal: _alias_as(cls, t), an instance of cls viewing t's storage with no history."},
    {NULL, NULL, 0, NULL}};

int sg_register_optim(PyObject *module) { return PyModule_AddFunctions(module, optim_methods); }
