/* Decompositions and friends (include/swiftgrad.h, "Decompositions"). */
#include "swiftgrad_ext.h"

/* Calls fn on one array argument and returns its n factors as a tuple. */
static PyObject *factor_call(PyObject *x, int n, const char *what,
                             int (*fn2)(sg_tensor *, sg_tensor *, sg_tensor),
                             int (*fn3)(sg_tensor *, sg_tensor *, sg_tensor *, sg_tensor)) {
  sg_arg a;
  if (sg_arg_from(x, &a, what) < 0) return NULL;
  sg_tensor out[3] = {NULL, NULL, NULL};
  int status = n == 2 ? fn2(&out[0], &out[1], a.handle) : fn3(&out[0], &out[1], &out[2], a.handle);
  sg_arg_release(&a);
  if (status) return sg_raise(status);
  PyObject *result = PyTuple_New(n);
  /* Wrapping takes ownership of every handle, so none leaks if one wrapper fails. */
  PyObject *wrapped[3] = {NULL, NULL, NULL};
  for (int i = 0; i < n; i++) wrapped[i] = sg_wrap(out[i]);
  for (int i = 0; i < n; i++) {
    if (!wrapped[i] || !result) {
      Py_CLEAR(result);
      for (int j = 0; j < n; j++) Py_XDECREF(wrapped[j]);
      return NULL;
    }
  }
  for (int i = 0; i < n; i++) PyTuple_SET_ITEM(result, i, wrapped[i]);
  return result;
}

static PyObject *py_eigh(PyObject *self, PyObject *x) { return factor_call(x, 2, "eigh", sg_eigh, NULL); }
static PyObject *py_svd(PyObject *self, PyObject *x) { return factor_call(x, 3, "svd", NULL, sg_svd); }
static PyObject *py_qr(PyObject *self, PyObject *x) { return factor_call(x, 2, "qr", sg_qr, NULL); }
static PyObject *py_slogdet(PyObject *self, PyObject *x) { return factor_call(x, 2, "slogdet", sg_slogdet, NULL); }

static PyObject *py_pinv(PyObject *self, PyObject *args) {
  PyObject *x;
  double rcond = 1e-15;
  if (!PyArg_ParseTuple(args, "O|d", &x, &rcond)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "pinv") < 0) return NULL;
  sg_tensor out;
  int status = sg_pinv(&out, a.handle, rcond);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_lstsq(PyObject *self, PyObject *args) {
  PyObject *x, *y;
  double rcond = 1e-15;
  if (!PyArg_ParseTuple(args, "OO|d", &x, &y, &rcond)) return NULL;
  sg_arg a, b;
  if (sg_arg_from(x, &a, "lstsq") < 0) return NULL;
  if (sg_arg_from(y, &b, "lstsq") < 0) {
    sg_arg_release(&a);
    return NULL;
  }
  sg_tensor out;
  int status = sg_lstsq(&out, a.handle, b.handle, rcond);
  sg_arg_release(&a);
  sg_arg_release(&b);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_matrix_power(PyObject *self, PyObject *args) {
  PyObject *x;
  long long n;
  if (!PyArg_ParseTuple(args, "OL", &x, &n)) return NULL;
  sg_arg a;
  if (sg_arg_from(x, &a, "matrix_power") < 0) return NULL;
  sg_tensor out;
  int status = sg_matrix_power(&out, a.handle, n);
  sg_arg_release(&a);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyMethodDef linalg_methods[] = {
    {"eigh", py_eigh, METH_O, "eigh(a): (eigenvalues ascending, eigenvectors as columns) of symmetric matrices."},
    {"svd", py_svd, METH_O, "svd(a): reduced (U, s, Vh)."},
    {"qr", py_qr, METH_O, "qr(a): reduced (Q, R)."},
    {"slogdet", py_slogdet, METH_O, "slogdet(a): (sign, log|det|)."},
    {"pinv", py_pinv, METH_VARARGS, "pinv(a, rcond=1e-15): Moore-Penrose pseudo-inverse."},
    {"lstsq", py_lstsq, METH_VARARGS, "lstsq(a, b, rcond=1e-15): least-squares solution."},
    {"matrix_power", py_matrix_power, METH_VARARGS, "matrix_power(a, n): a to the integer power n."},
    {NULL, NULL, 0, NULL}};

int sg_register_linalg(PyObject *module) { return PyModule_AddFunctions(module, linalg_methods); }
