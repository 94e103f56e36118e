/* The Tensor type: a PyObject holding a Swift tensor handle. Python-level conveniences live
 * in the subclass swiftgrad.Tensor; everything hot (operators, attributes, buffer) is here. */
#include <math.h>
#include <string.h>

#include "swiftgrad_ext.h"

static const char *format_of(int dtype) {
  switch (dtype) {
    case SG_BOOL: return "?";
    case SG_INT64: return "q";
    case SG_INT8: return "b";
    case SG_INT16: return "h";
    case SG_INT32: return "i";
    case SG_UINT8: return "B";
    case SG_UINT16: return "H";
    case SG_UINT32: return "I";
    case SG_UINT64: return "Q";
    case SG_FLOAT32: return "f";
    case SG_FLOAT16: return "e";
    case SG_BFLOAT16: return "H"; /* no buffer format exists: raw bits; Tensor.numpy() views them as bfloat16 */
    case SG_COMPLEX64: return "Zf";
    case SG_COMPLEX128: return "Zd";
    default: return "d";
  }
}

static Py_ssize_t itemsize_of(int dtype) {
  switch (dtype) {
    case SG_BOOL:
    case SG_INT8:
    case SG_UINT8: return 1;
    case SG_BFLOAT16:
    case SG_FLOAT16:
    case SG_INT16:
    case SG_UINT16: return 2;
    case SG_FLOAT32:
    case SG_INT32:
    case SG_UINT32: return 4;
    case SG_COMPLEX128: return 16;
    default: return 8;
  }
}

/* A bfloat16 or float16 element's value (exact: both widen to float32 without rounding). */
static double sg_half_to_double(uint16_t h, int dtype) {
  if (dtype == SG_BFLOAT16) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
  }
  int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exponent == 0x1f) return mantissa ? NAN : sign * INFINITY;
  if (exponent == 0) return sign * ldexp(mantissa, -24);
  return sign * ldexp(mantissa + 1024, exponent - 25);
}

static void tensor_dealloc(TensorObject *self) {
  if (self->weakrefs) PyObject_ClearWeakRefs((PyObject *)self);
  if (self->handle) sg_tensor_free(self->handle);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* --- Buffer protocol: np.asarray(t) shares the Swift storage ---------------------------- */

/* A bfloat16 tensor's buffer is its raw bits (format "H"): exported only through _bits(), so that
 * NumPy, which tries the buffer protocol first, falls back to __array__ (an ml_dtypes array). */
static _Thread_local int export_bfloat16_bits;

static int tensor_getbuffer(TensorObject *self, Py_buffer *view, int flags) {
  sg_tensor h = self->handle;
  if (sg_tensor_dtype(h) == SG_BFLOAT16 && !export_bfloat16_bits) {
    PyErr_SetString(PyExc_BufferError,
                    "a bfloat16 tensor has no buffer-protocol format; use np.asarray(t) or t.numpy() "
                    "(an ml_dtypes.bfloat16 array)");
    return -1;
  }
  if (sg_tensor_is_sparse(h)) {
    PyErr_SetString(PyExc_BufferError, "a row-sparse gradient has no dense buffer; call .to_dense() first");
    return -1;
  }
  int ndim = sg_tensor_ndim(h), dtype = sg_tensor_dtype(h);
  Py_ssize_t itemsize = itemsize_of(dtype);
  Py_ssize_t *info = PyMem_Malloc(sizeof(Py_ssize_t) * (2 * ndim + 1));
  int64_t dims[SG_MAX_DIMS], strides[SG_MAX_DIMS];
  if (!info) {
    PyErr_NoMemory();
    return -1;
  }
  sg_tensor_shape(h, dims);
  sg_tensor_strides(h, strides);
  int contiguous = 1;
  int64_t expected = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    info[i] = dims[i];
    info[ndim + i] = strides[i] * itemsize;
    if (dims[i] != 1 && strides[i] != expected) contiguous = 0;
    expected *= dims[i];
  }
  if (!contiguous && !(flags & PyBUF_STRIDES)) {
    PyMem_Free(info);
    PyErr_SetString(PyExc_BufferError, "tensor is not contiguous; request a strided buffer");
    return -1;
  }
  if (sg_vmap_level(h) >= 0) {
    PyMem_Free(info);
    PyErr_SetString(PyExc_RuntimeError,
                    "vmap: the values of a batched tensor cannot be read inside vmap "
                    "(numpy(), buffers, item(), bool(), control flow on values)");
    return -1;
  }
  view->buf = sg_tensor_data(h);
  view->obj = Py_NewRef(self);
  view->len = sg_tensor_size(h) * itemsize;
  view->readonly = sg_tensor_is_readonly(h);
  if (view->readonly && (flags & PyBUF_WRITABLE)) {
    PyMem_Free(info);
    PyErr_SetString(PyExc_BufferError, "tensor memory is read-only");
    return -1;
  }
  view->itemsize = itemsize;
  view->format = (flags & PyBUF_FORMAT) ? (char *)format_of(dtype) : NULL;
  view->ndim = ndim;
  view->shape = info;
  view->strides = info + ndim;
  view->suboffsets = NULL;
  view->internal = info;
  return 0;
}

static void tensor_releasebuffer(TensorObject *self, Py_buffer *view) { PyMem_Free(view->internal); }

static PyBufferProcs tensor_as_buffer = {(getbufferproc)tensor_getbuffer, (releasebufferproc)tensor_releasebuffer};

/* --- Attributes ------------------------------------------------------------------------- */

static PyObject *get_shape(TensorObject *self, void *c) {
  int ndim = sg_tensor_ndim(self->handle);
  int64_t dims[SG_MAX_DIMS];
  sg_tensor_shape(self->handle, dims);
  PyObject *t = PyTuple_New(ndim);
  for (int i = 0; t && i < ndim; i++) PyTuple_SET_ITEM(t, i, PyLong_FromLongLong(dims[i]));
  return t;
}
static PyObject *get_strides(TensorObject *self, void *c) {
  int ndim = sg_tensor_ndim(self->handle);
  int64_t s[SG_MAX_DIMS];
  sg_tensor_strides(self->handle, s);
  PyObject *t = PyTuple_New(ndim);
  for (int i = 0; t && i < ndim; i++) PyTuple_SET_ITEM(t, i, PyLong_FromLongLong(s[i]));
  return t;
}
static PyObject *get_ndim(TensorObject *self, void *c) { return PyLong_FromLong(sg_tensor_ndim(self->handle)); }
static PyObject *get_size(TensorObject *self, void *c) { return PyLong_FromLongLong(sg_tensor_size(self->handle)); }
static PyObject *get_dtype_code(TensorObject *self, void *c) { return PyLong_FromLong(sg_tensor_dtype(self->handle)); }
static PyObject *get_requires_grad(TensorObject *self, void *c) {
  return PyBool_FromLong(sg_tensor_requires_grad(self->handle));
}
static int set_requires_grad(TensorObject *self, PyObject *value, void *c) {
  if (!value) {
    PyErr_SetString(PyExc_AttributeError, "cannot delete requires_grad");
    return -1;
  }
  int flag = PyObject_IsTrue(value);
  if (flag < 0) return -1;
  int status = sg_tensor_set_requires_grad(self->handle, flag);
  return status ? sg_raise_int(status) : 0;
}
static PyObject *get_is_leaf(TensorObject *self, void *c) { return PyBool_FromLong(sg_tensor_is_leaf(self->handle)); }
static PyObject *get_grad_fn(TensorObject *self, void *c) {
  char name[128];
  sg_tensor_grad_fn_name(self->handle, name, sizeof name);
  if (!name[0]) Py_RETURN_NONE;
  return PyUnicode_FromString(name);
}
static PyObject *get_grad(TensorObject *self, void *c) {
  sg_tensor g = NULL;
  sg_tensor_grad(self->handle, &g);
  if (!g) Py_RETURN_NONE;
  return sg_wrap(g);
}
static int set_grad(TensorObject *self, PyObject *value, void *c) {
  if (!value || value == Py_None) return sg_tensor_set_grad(self->handle, NULL) ? sg_raise_int(SG_RUNTIME_ERROR) : 0;
  sg_arg g;
  if (sg_arg_from(value, &g, "grad") < 0) return -1;
  int status = sg_tensor_set_grad(self->handle, g.handle);
  sg_arg_release(&g);
  return status ? sg_raise_int(status) : 0;
}
static PyObject *get_version(TensorObject *self, void *c) {
  return PyLong_FromLongLong(sg_tensor_version(self->handle));
}

static PyGetSetDef tensor_getset[] = {
    {"shape", (getter)get_shape, NULL, "Tuple of dimensions.", NULL},
    {"_strides", (getter)get_strides, NULL, "Strides in elements.", NULL},
    {"ndim", (getter)get_ndim, NULL, "Number of dimensions.", NULL},
    {"size", (getter)get_size, NULL, "Number of elements.", NULL},
    {"_dtype_code", (getter)get_dtype_code, NULL, NULL, NULL},
    {"requires_grad", (getter)get_requires_grad, (setter)set_requires_grad,
     "Whether gradients are recorded for this tensor.", NULL},
    {"is_leaf", (getter)get_is_leaf, NULL, "True for tensors not produced by a recorded operation.", NULL},
    {"grad_fn", (getter)get_grad_fn, NULL, "Name of the operation that produced this tensor, or None.", NULL},
    {"grad", (getter)get_grad, (setter)set_grad, "Accumulated gradient (after backward), or None.", NULL},
    {"_version", (getter)get_version, NULL, "Storage version counter (bumped by in-place writes).", NULL},
    {NULL}};

/* --- Methods ---------------------------------------------------------------------------- */

static PyObject *tensor_backward(TensorObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"gradient", "retain_graph", "create_graph", NULL};
  PyObject *gradient = Py_None, *retain = Py_None;
  int create = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOp", kwlist, &gradient, &retain, &create)) return NULL;
  int retain_graph = retain == Py_None ? create : PyObject_IsTrue(retain);
  if (retain_graph < 0) return NULL;
  sg_arg g = {NULL, 0};
  if (gradient != Py_None && sg_arg_from(gradient, &g, "backward: gradient") < 0) return NULL;
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = sg_backward(self->handle, g.handle, retain_graph, create);
  Py_END_ALLOW_THREADS
  sg_arg_release(&g);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *tensor_detach(TensorObject *self, PyObject *unused) {
  sg_tensor out;
  int status = sg_detach(&out, self->handle);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *tensor_requires_grad_(TensorObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {"requires_grad", NULL};
  int flag = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|p", kwlist, &flag)) return NULL;
  int status = sg_tensor_set_requires_grad(self->handle, flag);
  if (status) return sg_raise(status);
  return Py_NewRef(self);
}

static PyObject *tensor_retain_grad(TensorObject *self, PyObject *unused) {
  sg_tensor_retain_grad(self->handle);
  Py_RETURN_NONE;
}

static PyObject *tensor_shares_memory(TensorObject *self, PyObject *other) {
  if (!sg_is_tensor(other)) Py_RETURN_FALSE;
  return PyBool_FromLong(sg_tensor_same_storage(self->handle, ((TensorObject *)other)->handle));
}

static PyObject *tensor_bits(TensorObject *self, PyObject *unused) {
  export_bfloat16_bits = 1;
  PyObject *view = PyMemoryView_FromObject((PyObject *)self);
  export_bfloat16_bits = 0;
  return view;
}

static PyMethodDef tensor_methods[] = {
    {"_bits", (PyCFunction)tensor_bits, METH_NOARGS,
     "Internal: a memoryview of the elements (a bfloat16 tensor's as uint16 bits)."},
    {"backward", (PyCFunction)(void (*)(void))tensor_backward, METH_VARARGS | METH_KEYWORDS,
     "backward(gradient=None, retain_graph=None, create_graph=False): accumulate gradients into leaves' .grad."},
    {"detach", (PyCFunction)tensor_detach, METH_NOARGS, "A tensor sharing storage, with no history."},
    {"requires_grad_", (PyCFunction)(void (*)(void))tensor_requires_grad_, METH_VARARGS | METH_KEYWORDS,
     "Sets requires_grad in place and returns self."},
    {"retain_grad", (PyCFunction)tensor_retain_grad, METH_NOARGS, "Keep .grad for this non-leaf tensor."},
    {"_shares_memory", (PyCFunction)tensor_shares_memory, METH_O, NULL},
    {NULL}};

/* --- Number protocol -------------------------------------------------------------------- */

#define BINARY_SLOT(slot, op) \
  static PyObject *slot(PyObject *a, PyObject *b) { return sg_call_binary(op, a, b); }
BINARY_SLOT(nb_add, sg_op_add)
BINARY_SLOT(nb_sub, sg_op_subtract)
BINARY_SLOT(nb_mul, sg_op_multiply)
BINARY_SLOT(nb_div, sg_op_divide)
BINARY_SLOT(nb_matmul, sg_op_matmul)
BINARY_SLOT(nb_floor_divide, sg_op_floor_divide)
BINARY_SLOT(nb_remainder, sg_op_remainder)
BINARY_SLOT(nb_and, sg_op_bitwise_and)
BINARY_SLOT(nb_or, sg_op_bitwise_or)
BINARY_SLOT(nb_xor, sg_op_bitwise_xor)
BINARY_SLOT(nb_lshift, sg_op_bitwise_left_shift)
BINARY_SLOT(nb_rshift, sg_op_bitwise_right_shift)
#undef BINARY_SLOT

static PyObject *nb_pow(PyObject *a, PyObject *b, PyObject *mod) {
  if (mod != Py_None) {
    PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not supported for tensors");
    return NULL;
  }
  return sg_call_binary(sg_op_power, a, b);
}

/* x op= y: the Swift side writes into x's memory and hands back the handle that stands for x
 * from now on (see Sources/SwiftGrad/Autodiff/InPlace.swift); identity of the Python object
 * is kept. */
static void replace_handle(TensorObject *self, sg_tensor updated) {
  sg_tensor old = self->handle;
  self->handle = updated;
  sg_tensor_free(old);
}

static PyObject *inplace_slot(PyObject *self, PyObject *other, int op) {
  if (!sg_is_tensor(self)) Py_RETURN_NOTIMPLEMENTED;
  sg_arg b;
  if (sg_arg_from(other, &b, "in-place operand") < 0) return NULL;
  sg_tensor out;
  int status = sg_inplace(&out, ((TensorObject *)self)->handle, b.handle, op);
  sg_arg_release(&b);
  if (status) return sg_raise(status);
  replace_handle((TensorObject *)self, out);
  return Py_NewRef(self);
}
static PyObject *nb_iadd(PyObject *a, PyObject *b) { return inplace_slot(a, b, 0); }
static PyObject *nb_isub(PyObject *a, PyObject *b) { return inplace_slot(a, b, 1); }
static PyObject *nb_imul(PyObject *a, PyObject *b) { return inplace_slot(a, b, 2); }
static PyObject *nb_idiv(PyObject *a, PyObject *b) { return inplace_slot(a, b, 3); }

static int tensor_setitem(TensorObject *self, PyObject *key, PyObject *value) {
  if (!value) {
    PyErr_SetString(PyExc_TypeError, "tensors do not support item deletion");
    return -1;
  }
  int64_t items[4 * SG_MAX_DIMS];
  sg_index_arrays arrays = {.count = 0};
  int n = sg_parse_index(key, items, &arrays);
  sg_arg v;
  if (n < 0 || sg_arg_from(value, &v, "setitem value") < 0) {
    sg_index_release(&arrays);
    return -1;
  }
  sg_tensor out;
  int status = arrays.count ? sg_setitem_advanced(&out, self->handle, items, n, arrays.handles, arrays.count, v.handle)
                            : sg_setitem(&out, self->handle, items, n, v.handle);
  sg_arg_release(&v);
  sg_index_release(&arrays);
  if (status) return sg_raise_int(status);
  replace_handle(self, out);
  return 0;
}

static PyObject *nb_neg(PyObject *a) { return sg_call_unary(sg_op_negative, a); }
static PyObject *nb_abs(PyObject *a) { return sg_call_unary(sg_op_abs, a); }
static PyObject *nb_pos(PyObject *a) { return Py_NewRef(a); }
static PyObject *nb_invert(PyObject *a) { return sg_call_unary(sg_op_bitwise_invert, a); }

/* The value of a one-element tensor as a Python float/int/bool (NULL with an error otherwise). */
static PyObject *scalar_value(TensorObject *self, const char *what) {
  if (sg_tensor_size(self->handle) != 1) {
    PyErr_Format(PyExc_ValueError, "%s: only a tensor with one element can be converted to a Python scalar (size %lld)",
                 what, (long long)sg_tensor_size(self->handle));
    return NULL;
  }
  if (sg_tensor_is_sparse(self->handle)) {
    PyErr_Format(PyExc_TypeError, "%s: a row-sparse gradient has no dense value; call .to_dense() first", what);
    return NULL;
  }
  if (sg_vmap_level(self->handle) >= 0) {
    PyErr_Format(PyExc_RuntimeError, "vmap: %s of a batched tensor inside vmap: its value differs per example", what);
    return NULL;
  }
  void *p = sg_tensor_data(self->handle);
  switch (sg_tensor_dtype(self->handle)) {
    case SG_BOOL: return PyBool_FromLong(*(char *)p);
    case SG_INT64: return PyLong_FromLongLong(*(int64_t *)p);
    case SG_INT8: return PyLong_FromLong(*(int8_t *)p);
    case SG_INT16: return PyLong_FromLong(*(int16_t *)p);
    case SG_INT32: return PyLong_FromLong(*(int32_t *)p);
    case SG_UINT8: return PyLong_FromUnsignedLong(*(uint8_t *)p);
    case SG_UINT16: return PyLong_FromUnsignedLong(*(uint16_t *)p);
    case SG_UINT32: return PyLong_FromUnsignedLong(*(uint32_t *)p);
    case SG_UINT64: return PyLong_FromUnsignedLongLong(*(uint64_t *)p);
    case SG_FLOAT32: return PyFloat_FromDouble(*(float *)p);
    case SG_COMPLEX64: return PyComplex_FromDoubles(((float *)p)[0], ((float *)p)[1]);
    case SG_COMPLEX128: return PyComplex_FromDoubles(((double *)p)[0], ((double *)p)[1]);
    case SG_BFLOAT16:
    case SG_FLOAT16: return PyFloat_FromDouble(sg_half_to_double(*(uint16_t *)p, sg_tensor_dtype(self->handle)));
    default: return PyFloat_FromDouble(*(double *)p);
  }
}

static int nb_bool(TensorObject *self) {
  if (sg_tensor_size(self->handle) != 1) {
    PyErr_SetString(
        PyExc_ValueError,
        "The truth value of a tensor with more than one element (or none) is ambiguous. Use any() or all()");
    return -1;
  }
  PyObject *v = scalar_value(self, "bool");
  if (!v) return -1;
  int r = PyObject_IsTrue(v);
  Py_DECREF(v);
  return r;
}
static PyObject *nb_float(TensorObject *self) {
  PyObject *v = scalar_value(self, "float");
  if (!v) return NULL;
  PyObject *f = PyNumber_Float(v);
  Py_DECREF(v);
  return f;
}
static PyObject *nb_int(TensorObject *self) {
  PyObject *v = scalar_value(self, "int");
  if (!v) return NULL;
  PyObject *i = PyNumber_Long(v);
  Py_DECREF(v);
  return i;
}
static PyObject *nb_index(TensorObject *self) {
  int dtype = sg_tensor_dtype(self->handle);
  if (dtype == SG_FLOAT32 || dtype == SG_FLOAT64 || dtype == SG_BFLOAT16 || dtype == SG_FLOAT16) {
    PyErr_SetString(PyExc_TypeError, "only integer tensors with one element can be converted to an index");
    return NULL;
  }
  return nb_int(self);
}

static PyNumberMethods tensor_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_sub,
    .nb_multiply = nb_mul,
    .nb_true_divide = nb_div,
    .nb_power = nb_pow,
    .nb_negative = nb_neg,
    .nb_positive = nb_pos,
    .nb_absolute = nb_abs,
    .nb_matrix_multiply = nb_matmul,
    .nb_floor_divide = nb_floor_divide,
    .nb_remainder = nb_remainder,
    .nb_and = nb_and,
    .nb_or = nb_or,
    .nb_xor = nb_xor,
    .nb_lshift = nb_lshift,
    .nb_rshift = nb_rshift,
    .nb_invert = nb_invert,
    .nb_bool = (inquiry)nb_bool,
    .nb_float = (unaryfunc)nb_float,
    .nb_int = (unaryfunc)nb_int,
    .nb_index = (unaryfunc)nb_index,
    .nb_inplace_add = nb_iadd,
    .nb_inplace_subtract = nb_isub,
    .nb_inplace_multiply = nb_imul,
    .nb_inplace_true_divide = nb_idiv,
};

static PyObject *tensor_richcompare(PyObject *a, PyObject *b, int op) {
  return sg_call_binary(sg_op_compare[op], a, b);
}

static Py_ssize_t tensor_length(TensorObject *self) {
  if (sg_tensor_ndim(self->handle) == 0) {
    PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
    return -1;
  }
  int64_t dims[SG_MAX_DIMS];
  sg_tensor_shape(self->handle, dims);
  return (Py_ssize_t)dims[0];
}

static PyMappingMethods tensor_as_mapping = {(lenfunc)tensor_length, sg_index_call, (objobjargproc)tensor_setitem};

PyTypeObject SGTensorBase_Type = {
    /* clang-format off */
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "swiftgrad._C.TensorBase",
    /* clang-format on */
    .tp_basicsize = sizeof(TensorObject),
    .tp_dealloc = (destructor)tensor_dealloc,
    .tp_as_number = &tensor_as_number,
    .tp_as_mapping = &tensor_as_mapping,
    .tp_as_buffer = &tensor_as_buffer,
    .tp_hash = (hashfunc)_Py_HashPointer,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A Swift-backed n-dimensional array with autograd (use swiftgrad.Tensor).",
    .tp_richcompare = tensor_richcompare,
    .tp_weaklistoffset = offsetof(TensorObject, weakrefs),
    .tp_methods = tensor_methods,
    .tp_getset = tensor_getset,
};
