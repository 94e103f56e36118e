/* swiftgrad._C: module init, error translation and argument conversion. */
#include "swiftgrad_ext.h"

#include <string.h>

PyTypeObject *sg_tensor_class = &SGTensorBase_Type;
PyObject *sg_array_converter = NULL;

/* numpy.exceptions.AxisError (a ValueError and an IndexError), which NumPy raises for an axis out of
   range; IndexError if NumPy has none. */
static PyObject *axis_error_class(void) {
  static PyObject *cls = NULL;
  if (!cls) {
    PyObject *module = PyImport_ImportModule("numpy.exceptions");
    if (module) {
      cls = PyObject_GetAttrString(module, "AxisError");
      Py_DECREF(module);
    }
    if (!cls) {
      PyErr_Clear();
      return PyExc_IndexError;
    }
  }
  return cls;
}

int sg_raise_int(int status) {
  const char *message = sg_last_error();
  PyObject *kind;
  switch (status) {
    case SG_VALUE_ERROR: kind = PyExc_ValueError; break;
    case SG_TYPE_ERROR: kind = PyExc_TypeError; break;
    case SG_INDEX_ERROR: kind = PyExc_IndexError; break;
    case SG_MEMORY_ERROR: kind = PyExc_MemoryError; break;
    case SG_AXIS_ERROR: kind = axis_error_class(); break;
    case SG_CALLBACK_ERROR:
      /* The callback's own exception is already set; keep it. */
      if (PyErr_Occurred()) return -1;
      kind = PyExc_RuntimeError;
      break;
    default: kind = PyExc_RuntimeError; break;
  }
  PyErr_SetString(kind, message ? message : "swiftgrad: unknown error");
  return -1;
}

PyObject *sg_raise(int status) {
  sg_raise_int(status);
  return NULL;
}

/* Mirrors the Swift thread-local flag so the common path costs one load. */
static _Thread_local int anomaly_mode = 0;

/* In anomaly mode, remember the Python line that created each recorded op. */
static void record_origin(sg_tensor handle) {
  PyFrameObject *frame = PyEval_GetFrame();
  if (!frame) return;
  PyCodeObject *code = PyFrame_GetCode(frame);
  PyObject *where = PyUnicode_FromFormat("%U:%d", code->co_filename, PyFrame_GetLineNumber(frame));
  Py_DECREF(code);
  if (!where) {
    PyErr_Clear();
    return;
  }
  const char *text = PyUnicode_AsUTF8(where);
  if (text) sg_tensor_set_origin(handle, text);
  else PyErr_Clear();
  Py_DECREF(where);
}

PyObject *sg_wrap(sg_tensor handle) {
  if (!handle) return NULL;
  if (anomaly_mode) record_origin(handle);
  TensorObject *obj = (TensorObject *)sg_tensor_class->tp_alloc(sg_tensor_class, 0);
  if (!obj) {
    sg_tensor_free(handle);
    return NULL;
  }
  obj->handle = handle;
  return (PyObject *)obj;
}

int sg_is_tensor(PyObject *obj) { return PyObject_TypeCheck(obj, &SGTensorBase_Type); }

/* --- Zero-copy import through the buffer protocol -------------------------------------- */

static void release_buffer(void *context) {
  Py_buffer *view = (Py_buffer *)context;
  if (_Py_IsFinalizing()) return; /* the interpreter is going away: leave it to the OS */
  PyGILState_STATE gil = PyGILState_Ensure();
  PyBuffer_Release(view);
  PyMem_RawFree(view);
  PyGILState_Release(gil);
}

/* dtype code for a struct-module format, or -1 if swiftgrad has no such dtype. */
static int dtype_of_format(const char *format, Py_ssize_t itemsize) {
  if (!format) return itemsize == 1 ? -1 : -1;
  while (*format == '@' || *format == '=' || *format == '<') format++;
  if (format[0] == 'Z' && format[1] != '\0' && format[2] == '\0') { /* complex: "Zf", "Zd" */
    if (format[1] == 'f') return itemsize == 8 ? SG_COMPLEX64 : -1;
    if (format[1] == 'd') return itemsize == 16 ? SG_COMPLEX128 : -1;
    return -1;
  }
  if (format[0] == '\0' || format[1] != '\0') return -1;
  switch (format[0]) {
    case 'd': return itemsize == 8 ? SG_FLOAT64 : -1;
    case 'f': return itemsize == 4 ? SG_FLOAT32 : -1;
    case 'e': return itemsize == 2 ? SG_FLOAT16 : -1;
    case 'q': return itemsize == 8 ? SG_INT64 : -1;
    case 'l': return itemsize == 8 ? SG_INT64 : (itemsize == 4 ? SG_INT32 : -1);
    case 'b': return itemsize == 1 ? SG_INT8 : -1;
    case 'h': return itemsize == 2 ? SG_INT16 : -1;
    case 'i': return itemsize == 4 ? SG_INT32 : -1;
    case 'B': return itemsize == 1 ? SG_UINT8 : -1;
    case 'H': return itemsize == 2 ? SG_UINT16 : -1;
    case 'I': return itemsize == 4 ? SG_UINT32 : -1;
    case 'Q': return itemsize == 8 ? SG_UINT64 : -1;
    case 'L': return itemsize == 8 ? SG_UINT64 : (itemsize == 4 ? SG_UINT32 : -1);
    case '?': return itemsize == 1 ? SG_BOOL : -1;
    default: return -1;
  }
}

/* Wraps a buffer-exporting object without copying. Returns 1 on success, 0 when the buffer's
 * layout or dtype is not usable directly (caller converts), -1 on error. `forced` >= 0 reads the
 * buffer's 16-bit items as that dtype (bfloat16, which has no buffer format: Python passes a
 * uint16 view of an ml_dtypes array). */
static int wrap_buffer(PyObject *obj, sg_tensor *out, int forced) {
  Py_buffer *view = PyMem_RawMalloc(sizeof(Py_buffer));
  if (!view) {
    PyErr_NoMemory();
    return -1;
  }
  if (PyObject_GetBuffer(obj, view, PyBUF_RECORDS_RO) < 0) {
    PyErr_Clear();
    PyMem_RawFree(view);
    return 0;
  }
  int half = forced == SG_BFLOAT16 || forced == SG_FLOAT16;
  int raw16 = view->itemsize == 2 && view->format && strchr("HhBe", view->format[0]);
  int dtype = forced >= 0 ? (half && raw16 ? forced : -1) : dtype_of_format(view->format, view->itemsize);
  int ok = dtype >= 0 && view->ndim <= SG_MAX_DIMS;
  int64_t shape[SG_MAX_DIMS], strides[SG_MAX_DIMS];
  int64_t low = 0, high = 0;
  for (int i = 0; ok && i < view->ndim; i++) {
    shape[i] = view->shape[i];
    if (view->strides[i] % view->itemsize != 0) ok = 0;
    strides[i] = view->strides[i] / view->itemsize;
    if (shape[i] > 0) {
      if (strides[i] < 0) low += strides[i] * (shape[i] - 1);
      else high += strides[i] * (shape[i] - 1);
    }
  }
  if (!ok) {
    PyBuffer_Release(view);
    PyMem_RawFree(view);
    return 0;
  }
  /* The storage starts at the lowest address the view reaches (negative strides). */
  char *base = (char *)view->buf + low * view->itemsize;
  int status = sg_tensor_wrap(out, base, (high - low + 1) * view->itemsize, dtype, view->ndim, shape, strides, -low,
                              view, release_buffer);
  if (status) {
    PyBuffer_Release(view);
    PyMem_RawFree(view);
    return sg_raise_int(status);
  }
  if (view->readonly) sg_tensor_set_readonly(*out);
  return 1;
}

/* Any array-like -> new handle, without copying when the memory is usable as it is. */
static int tensor_from_arraylike(PyObject *obj, sg_tensor *out, const char *what) {
  int wrapped = wrap_buffer(obj, out, -1);
  if (wrapped != 0) return wrapped < 0 ? -1 : 0;
  if (!sg_array_converter) {
    PyErr_Format(PyExc_TypeError, "%s: cannot convert %.100s to a tensor", what, Py_TYPE(obj)->tp_name);
    return -1;
  }
  PyObject *array = PyObject_CallOneArg(sg_array_converter, obj);
  if (!array) return -1;
  int forced = -1;
  if (PyTuple_Check(array) && PyTuple_GET_SIZE(array) == 2) { /* (uint16 view, dtype code): bfloat16 */
    PyObject *pair = array;
    forced = (int)PyLong_AsLong(PyTuple_GET_ITEM(pair, 1));
    array = PyTuple_GET_ITEM(pair, 0);
    Py_INCREF(array);
    Py_DECREF(pair);
    if (forced == -1 && PyErr_Occurred()) {
      Py_DECREF(array);
      return -1;
    }
  }
  wrapped = wrap_buffer(array, out, forced);
  Py_DECREF(array);
  if (wrapped == 0) PyErr_Format(PyExc_TypeError, "%s: cannot convert %.100s to a tensor", what, Py_TYPE(obj)->tp_name);
  return wrapped == 1 ? 0 : -1;
}

static PyObject *py_from_buffer(PyObject *self, PyObject *args) {
  PyObject *obj;
  int forced = -1;
  if (!PyArg_ParseTuple(args, "O|i:from_buffer", &obj, &forced)) return NULL;
  sg_tensor h;
  if (forced >= 0) {
    int wrapped = wrap_buffer(obj, &h, forced);
    if (wrapped < 0) return NULL;
    if (wrapped == 0) {
      PyErr_SetString(PyExc_TypeError, "from_buffer: a dtype code needs a buffer of 16-bit items");
      return NULL;
    }
    return sg_wrap(h);
  }
  if (tensor_from_arraylike(obj, &h, "from_numpy") < 0) return NULL;
  return sg_wrap(h);
}

/* --- Arguments ------------------------------------------------------------------------- */

/* Python scalars in expressions (`y * 1.01 + 0.1` in a loop) recur: a small per-thread cache of
 * their 0-d tensors saves an allocation per op. Cached tensors are only ever read (operands,
 * never targets of in-place writes), so sharing them is safe. */
#define SCALAR_CACHE_SIZE 8
static _Thread_local struct {
  double value;
  int dtype;
  sg_tensor handle;
} scalar_cache[SCALAR_CACHE_SIZE];
static _Thread_local int scalar_cache_next;

/* An owned handle (an extra reference: a later miss may evict the cache slot while the caller
 * still uses it) to a weak 0-d tensor holding `value`. */
static int scalar_tensor(double value, int dtype, sg_arg *arg) {
  for (int i = 0; i < SCALAR_CACHE_SIZE; i++) {
    if (scalar_cache[i].handle && scalar_cache[i].dtype == dtype &&
        memcmp(&scalar_cache[i].value, &value, sizeof value) == 0) {
      arg->handle = sg_tensor_retain(scalar_cache[i].handle);
      arg->owned = 1;
      return 0;
    }
  }
  sg_tensor h;
  int status = sg_full_tensor(&h, 0, NULL, value, dtype);
  if (status) return sg_raise_int(status);
  sg_tensor_set_weak(h);
  int slot = scalar_cache_next;
  scalar_cache_next = (slot + 1) % SCALAR_CACHE_SIZE;
  if (scalar_cache[slot].handle) sg_tensor_free(scalar_cache[slot].handle);
  scalar_cache[slot].value = value;
  scalar_cache[slot].dtype = dtype;
  scalar_cache[slot].handle = h;
  arg->handle = sg_tensor_retain(h);
  arg->owned = 1;
  return 0;
}

/* A weak 0-d tensor of a Python number a double cannot hold exactly (a wide int, a complex),
 * built through NumPy's conversion. */
static int weak_scalar_through_numpy(PyObject *obj, sg_arg *arg, const char *what) {
  PyObject *array = PyObject_CallOneArg(sg_array_converter, obj);
  if (!array) return -1;
  int status = tensor_from_arraylike(array, &arg->handle, what);
  Py_DECREF(array);
  if (status == 0) sg_tensor_set_weak(arg->handle);
  return status;
}

int sg_arg_from(PyObject *obj, sg_arg *arg, const char *what) {
  arg->owned = 0;
  if (sg_is_tensor(obj)) {
    arg->handle = ((TensorObject *)obj)->handle;
    return 0;
  }
  arg->owned = 1;
  if (PyBool_Check(obj)) return scalar_tensor(obj == Py_True, SG_BOOL, arg);
  if (PyLong_CheckExact(obj)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (overflow) {
      PyErr_Format(PyExc_ValueError, "%s: Python int too large to convert to int64", what);
      return -1;
    }
    if (v == -1 && PyErr_Occurred()) return -1;
    /* int64 values beyond 2^53 would lose precision through a double; build them exactly. */
    if (v > (1LL << 53) || v < -(1LL << 53)) return weak_scalar_through_numpy(obj, arg, what);
    return scalar_tensor((double)v, SG_INT64, arg);
  }
  if (PyFloat_CheckExact(obj)) return scalar_tensor(PyFloat_AS_DOUBLE(obj), SG_FLOAT64, arg);
  if (PyComplex_CheckExact(obj)) return weak_scalar_through_numpy(obj, arg, what); /* weak complex128 */
  if (obj == Py_None) {
    PyErr_Format(PyExc_TypeError, "%s: expected a tensor, array or number, got None", what);
    return -1;
  }
  return tensor_from_arraylike(obj, &arg->handle, what);
}

void sg_arg_release(sg_arg *arg) {
  if (arg->owned && arg->handle) sg_tensor_free(arg->handle);
  arg->handle = NULL;
  arg->owned = 0;
}

int sg_int_list(PyObject *obj, int64_t *out, int capacity, const char *what) {
  if (PyIndex_Check(obj)) {
    Py_ssize_t v = PyNumber_AsSsize_t(obj, PyExc_ValueError);
    if (v == -1 && PyErr_Occurred()) return -1;
    out[0] = v;
    return 1;
  }
  PyObject *seq = PySequence_Fast(obj, what);
  if (!seq) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n > capacity) {
    Py_DECREF(seq);
    PyErr_Format(PyExc_ValueError, "%s: too many entries (%zd, at most %d)", what, n, capacity);
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    if (!PyIndex_Check(item)) {
      Py_DECREF(seq);
      PyErr_Format(PyExc_TypeError, "%s: expected integers, got %.100s", what, Py_TYPE(item)->tp_name);
      return -1;
    }
    Py_ssize_t v = PyNumber_AsSsize_t(item, PyExc_ValueError);
    if (v == -1 && PyErr_Occurred()) {
      Py_DECREF(seq);
      return -1;
    }
    out[i] = v;
  }
  Py_DECREF(seq);
  return (int)n;
}

/* --- Module-level functions not in the op table ---------------------------------------- */

static PyObject *py_set_tensor_class(PyObject *self, PyObject *cls) {
  if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &SGTensorBase_Type)) {
    PyErr_SetString(PyExc_TypeError, "expected a subclass of TensorBase");
    return NULL;
  }
  Py_INCREF(cls);
  sg_tensor_class = (PyTypeObject *)cls;
  Py_RETURN_NONE;
}

static PyObject *py_set_array_converter(PyObject *self, PyObject *fn) {
  Py_XSETREF(sg_array_converter, Py_NewRef(fn));
  Py_RETURN_NONE;
}

static PyObject *py_grad_enabled(PyObject *self, PyObject *unused) { return PyBool_FromLong(sg_grad_enabled()); }

static PyObject *py_set_grad_enabled(PyObject *self, PyObject *flag) {
  int on = PyObject_IsTrue(flag);
  if (on < 0) return NULL;
  return PyBool_FromLong(sg_set_grad_enabled(on));
}

static PyObject *py_set_anomaly_enabled(PyObject *self, PyObject *flag) {
  int on = PyObject_IsTrue(flag);
  if (on < 0) return NULL;
  anomaly_mode = on;
  return PyBool_FromLong(sg_set_anomaly_enabled(on));
}

static PyObject *py_autograd_grad(PyObject *self, PyObject *args) {
  PyObject *outputs, *inputs, *grad_outputs;
  int retain, create, allow_unused;
  if (!PyArg_ParseTuple(args, "OOOipp", &outputs, &inputs, &grad_outputs, &retain, &create, &allow_unused)) return NULL;
  PyObject *outs = PySequence_Fast(outputs, "outputs must be a sequence of tensors");
  PyObject *ins = outs ? PySequence_Fast(inputs, "inputs must be a sequence of tensors") : NULL;
  PyObject *gouts = ins ? PySequence_Fast(grad_outputs, "grad_outputs must be a sequence") : NULL;
  PyObject *result = NULL;
  Py_ssize_t n_out = 0, n_in = 0;
  sg_tensor *handles = NULL;
  sg_arg *seeds = NULL;
  if (!gouts) goto done;
  n_out = PySequence_Fast_GET_SIZE(outs);
  n_in = PySequence_Fast_GET_SIZE(ins);
  if (PySequence_Fast_GET_SIZE(gouts) != n_out) {
    PyErr_Format(PyExc_ValueError, "grad_outputs has %zd entries for %zd outputs", PySequence_Fast_GET_SIZE(gouts),
                 n_out);
    goto done;
  }
  handles = PyMem_Calloc(2 * n_out + 2 * n_in + 1, sizeof(sg_tensor));
  seeds = PyMem_Calloc(n_out + 1, sizeof(sg_arg));
  if (!handles || !seeds) {
    PyErr_NoMemory();
    goto done;
  }
  for (Py_ssize_t i = 0; i < n_out; i++) {
    PyObject *o = PySequence_Fast_GET_ITEM(outs, i);
    if (!sg_is_tensor(o)) {
      PyErr_Format(PyExc_TypeError, "grad: outputs[%zd] is %.100s, not a Tensor", i, Py_TYPE(o)->tp_name);
      goto done;
    }
    handles[i] = ((TensorObject *)o)->handle;
    PyObject *g = PySequence_Fast_GET_ITEM(gouts, i);
    if (g != Py_None && sg_arg_from(g, &seeds[i], "grad_outputs") < 0) goto done;
    handles[n_out + i] = seeds[i].handle;
  }
  for (Py_ssize_t i = 0; i < n_in; i++) {
    PyObject *o = PySequence_Fast_GET_ITEM(ins, i);
    if (!sg_is_tensor(o)) {
      PyErr_Format(PyExc_TypeError, "grad: inputs[%zd] is %.100s, not a Tensor", i, Py_TYPE(o)->tp_name);
      goto done;
    }
    handles[2 * n_out + i] = ((TensorObject *)o)->handle;
  }
  sg_tensor *results = handles + 2 * n_out + n_in;
  int status;
  Py_BEGIN_ALLOW_THREADS
  status = sg_autograd_grad((int)n_out, handles, handles + n_out, (int)n_in, handles + 2 * n_out, retain, create,
                            allow_unused, results);
  Py_END_ALLOW_THREADS
  if (status) {
    sg_raise(status);
    goto done;
  }
  result = PyTuple_New(n_in);
  for (Py_ssize_t i = 0; result && i < n_in; i++) {
    PyObject *item = results[i] ? sg_wrap(results[i]) : Py_NewRef(Py_None);
    PyTuple_SET_ITEM(result, i, item);
  }
done:
  if (seeds)
    for (Py_ssize_t i = 0; i < n_out; i++) sg_arg_release(&seeds[i]);
  PyMem_Free(seeds);
  PyMem_Free(handles);
  Py_XDECREF(outs);
  Py_XDECREF(ins);
  Py_XDECREF(gouts);
  return result;
}

static PyMethodDef module_methods[] = {
    {"from_buffer", py_from_buffer, METH_VARARGS,
     "from_buffer(obj, code=-1): zero-copy tensor over an object's buffer (NumPy array); code reads 16-bit "
     "items as that dtype (bfloat16)."},
    {"_set_tensor_class", py_set_tensor_class, METH_O, "Internal: the Python subclass results are created as."},
    {"_set_array_converter", py_set_array_converter, METH_O,
     "Internal: the function turning non-tensor operands into arrays."},
    {"is_grad_enabled", py_grad_enabled, METH_NOARGS, "Whether operations are recorded on this thread."},
    {"set_grad_enabled", py_set_grad_enabled, METH_O, "Sets grad mode for this thread; returns the previous mode."},
    {"autograd_grad", py_autograd_grad, METH_VARARGS,
     "autograd_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused): one gradient per input "
     "(None for an unused input)."},
    {"set_anomaly_enabled", py_set_anomaly_enabled, METH_O,
     "Sets anomaly detection for this thread; returns the previous mode."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", "swiftgrad's compiled core bindings.", -1,
                                        module_methods};

PyMODINIT_FUNC PyInit__C(void) {
  if (PyType_Ready(&SGTensorBase_Type) < 0) return NULL;
  /* Make NumPy defer to our reflected operators (ndarray + Tensor -> Tensor.__radd__). */
  if (PyDict_SetItemString(SGTensorBase_Type.tp_dict, "__array_ufunc__", Py_None) < 0) return NULL;
  PyType_Modified(&SGTensorBase_Type);
  PyObject *m = PyModule_Create(&module_def);
  if (!m) return NULL;
  Py_INCREF(&SGTensorBase_Type);
  if (PyModule_AddObject(m, "TensorBase", (PyObject *)&SGTensorBase_Type) < 0) return NULL;
  if (sg_register_operations(m) < 0 || sg_register_random(m) < 0) return NULL;
  if (sg_register_optim(m) < 0 || sg_register_graph(m) < 0) return NULL;
  if (sg_register_forward(m) < 0 || sg_register_callbacks(m) < 0) return NULL;
  if (sg_register_compile(m) < 0 || sg_register_blas(m) < 0) return NULL;
  if (sg_register_sparse(m) < 0 || sg_register_jet(m) < 0) return NULL;
  if (sg_register_batching(m) < 0 || sg_register_dlpack(m) < 0) return NULL;
  return m;
}
