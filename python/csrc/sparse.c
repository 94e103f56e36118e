/* Bindings of row-sparse gradients (Sources/SwiftGradC/Sparse.swift): inspection and the
 * optimizer steps that consume them (the embedding that produces them is in the op table).
 * Registered by sg_register_sparse (module.c). */
#include "swiftgrad_ext.h"

static PyObject *unary(PyObject *t, int (*fn)(sg_tensor *, sg_tensor), const char *what) {
  sg_tensor h, out;
  if (sg_tensor_handle(t, &h, 0, what) < 0) return NULL;
  int status = fn(&out, h);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_is_sparse(PyObject *self, PyObject *t) {
  sg_tensor h;
  if (sg_tensor_handle(t, &h, 0, "is_sparse") < 0) return NULL;
  return PyBool_FromLong(sg_tensor_is_sparse(h));
}
static PyObject *py_is_coalesced(PyObject *self, PyObject *t) {
  sg_tensor h;
  if (sg_tensor_handle(t, &h, 0, "is_coalesced") < 0) return NULL;
  return PyBool_FromLong(sg_sparse_is_coalesced(h));
}
static PyObject *py_indices(PyObject *self, PyObject *t) { return unary(t, sg_sparse_indices, "indices"); }
static PyObject *py_values(PyObject *self, PyObject *t) { return unary(t, sg_sparse_values, "values"); }
static PyObject *py_to_dense(PyObject *self, PyObject *t) { return unary(t, sg_sparse_to_dense, "to_dense"); }
static PyObject *py_coalesce(PyObject *self, PyObject *t) { return unary(t, sg_sparse_coalesce, "coalesce"); }

static PyObject *py_sparse_rows(PyObject *self, PyObject *args) {
  PyObject *i, *v;
  long long rows;
  if (!PyArg_ParseTuple(args, "OOL", &i, &v, &rows)) return NULL;
  sg_arg ai, av;
  if (sg_arg_from(i, &ai, "indices") < 0) return NULL;
  if (sg_arg_from(v, &av, "values") < 0) {
    sg_arg_release(&ai);
    return NULL;
  }
  sg_tensor out;
  int status = sg_sparse_rows(&out, ai.handle, av.handle, rows);
  sg_arg_release(&ai);
  sg_arg_release(&av);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_sgd_sparse_step(PyObject *self, PyObject *args) {
  PyObject *p, *g, *b;
  double lr, momentum, dampening, weight_decay;
  int nesterov, maximize;
  if (!PyArg_ParseTuple(args, "OOOddddpp", &p, &g, &b, &lr, &momentum, &dampening, &weight_decay, &nesterov, &maximize))
    return NULL;
  sg_tensor hp, hg, hb, out = NULL;
  if (sg_tensor_handle(p, &hp, 0, "sgd_sparse_step param") < 0 ||
      sg_tensor_handle(g, &hg, 0, "sgd_sparse_step grad") < 0 ||
      sg_tensor_handle(b, &hb, 1, "sgd_sparse_step momentum_buffer") < 0)
    return NULL;
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = sg_optim_sgd_sparse_step(&out, hp, hg, hb, lr, momentum, dampening, weight_decay, nesterov, maximize);
  Py_END_ALLOW_THREADS
  if (status) return sg_raise(status);
  if (!out) Py_RETURN_NONE;
  return sg_wrap(out);
}

static PyObject *py_adagrad_step(PyObject *self, PyObject *args) {
  PyObject *p, *g, *s;
  long long step;
  double lr, lr_decay, weight_decay, eps;
  int maximize;
  if (!PyArg_ParseTuple(args, "OOOLddddp", &p, &g, &s, &step, &lr, &lr_decay, &weight_decay, &eps, &maximize))
    return NULL;
  sg_tensor hp, hg, hs;
  if (sg_tensor_handle(p, &hp, 0, "adagrad_step param") < 0 || sg_tensor_handle(g, &hg, 0, "adagrad_step grad") < 0 ||
      sg_tensor_handle(s, &hs, 0, "adagrad_step sum") < 0)
    return NULL;
  int status;
  if (sg_tensor_size(hp) >= SG_GIL_THRESHOLD) {
    Py_BEGIN_ALLOW_THREADS
    status = sg_optim_adagrad_step(hp, hg, hs, step, lr, lr_decay, weight_decay, eps, maximize);
    Py_END_ALLOW_THREADS
  } else {
    status = sg_optim_adagrad_step(hp, hg, hs, step, lr, lr_decay, weight_decay, eps, maximize);
  }
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *py_sparse_adam_step(PyObject *self, PyObject *args) {
  PyObject *p, *g, *m, *v;
  long long step;
  double lr, beta1, beta2, eps;
  int maximize;
  if (!PyArg_ParseTuple(args, "OOOOLddddp", &p, &g, &m, &v, &step, &lr, &beta1, &beta2, &eps, &maximize)) return NULL;
  sg_tensor hp, hg, hm, hv;
  if (sg_tensor_handle(p, &hp, 0, "sparse_adam_step param") < 0 ||
      sg_tensor_handle(g, &hg, 0, "sparse_adam_step grad") < 0 ||
      sg_tensor_handle(m, &hm, 0, "sparse_adam_step exp_avg") < 0 ||
      sg_tensor_handle(v, &hv, 0, "sparse_adam_step exp_avg_sq") < 0)
    return NULL;
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = sg_optim_sparse_adam_step(hp, hg, hm, hv, step, lr, beta1, beta2, eps, maximize);
  Py_END_ALLOW_THREADS
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyMethodDef sparse_methods[] = {
    {"is_sparse", py_is_sparse, METH_O, "Whether a tensor is a row-sparse gradient."},
    {"sparse_is_coalesced", py_is_coalesced, METH_O, "Whether a row-sparse tensor's indices are sorted and unique."},
    {"sparse_indices", py_indices, METH_O, "Row indices (int64, (nnz,)) of a row-sparse tensor."},
    {"sparse_values", py_values, METH_O, "Rows (nnz, ...) of a row-sparse tensor."},
    {"sparse_to_dense", py_to_dense, METH_O, "The dense value of a row-sparse tensor (a dense one unchanged)."},
    {"sparse_coalesce", py_coalesce, METH_O, "Sorted unique indices, duplicate rows summed."},
    {"sparse_rows", py_sparse_rows, METH_VARARGS, "sparse_rows(indices, values, num_rows): a row-sparse tensor."},
    {"optim_sgd_sparse_step", py_sgd_sparse_step, METH_VARARGS,
     "optim_sgd_sparse_step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize) -> new buffer"},
    {"optim_adagrad_step", py_adagrad_step, METH_VARARGS,
     "optim_adagrad_step(p, g, sum, step, lr, lr_decay, weight_decay, eps, maximize)"},
    {"optim_sparse_adam_step", py_sparse_adam_step, METH_VARARGS,
     "optim_sparse_adam_step(p, g, m, v, step, lr, beta1, beta2, eps, maximize)"},
    {NULL, NULL, 0, NULL}};

int sg_register_sparse(PyObject *module) { return PyModule_AddFunctions(module, sparse_methods); }
